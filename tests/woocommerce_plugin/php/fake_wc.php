<?php
/**
 * Stand-ins for the WooCommerce order classes, built from a WooCommerce REST order (the
 * fixtures in /work/shared/fixtures/woocommerce). Only the getters the plugin calls exist.
 */

class WC_Meta_Data {
	public $id;
	public $key;
	public $value;

	public function __construct( $id, $key, $value ) {
		$this->id    = $id;
		$this->key   = $key;
		$this->value = $value;
	}
}

trait Fake_Meta {
	/** @var WC_Meta_Data[] */
	public $meta = array();

	public function get_meta( $key, $single = true ) {
		foreach ( $this->meta as $m ) {
			if ( $m->key === $key ) {
				return $m->value;
			}
		}
		return '';
	}

	public function get_meta_data() {
		return array_values( $this->meta );
	}

	public function update_meta_data( $key, $value ) {
		foreach ( $this->meta as $m ) {
			if ( $m->key === $key ) {
				$m->value = $value;
				return;
			}
		}
		$this->meta[] = new WC_Meta_Data( null, $key, $value );
	}

	public function delete_meta_data( $key ) {
		$this->meta = array_values(
			array_filter(
				$this->meta,
				function ( $m ) use ( $key ) {
					return $m->key !== $key;
				}
			)
		);
	}

	public function meta_array() {
		$out = array();
		foreach ( $this->meta as $m ) {
			$out[ $m->key ] = $m->value;
		}
		return $out;
	}
}

class WC_Product {
	use Fake_Meta;

	private $sku;
	private $id;
	private $parent_id;

	public function __construct( $sku, $id = 0, array $meta = array(), $parent_id = 0 ) {
		$this->sku       = $sku;
		$this->id        = $id;
		$this->parent_id = $parent_id;
		foreach ( $meta as $key => $value ) {
			$this->update_meta_data( $key, $value );
		}
	}

	public function get_sku() {
		return $this->sku;
	}

	public function get_id() {
		return $this->id;
	}

	public function get_parent_id() {
		return $this->parent_id;
	}
}

class WC_Order_Item_Product {
	use Fake_Meta;

	private $data;

	public function __construct( array $data ) {
		$this->data = $data;
		foreach ( isset( $data['meta_data'] ) ? $data['meta_data'] : array() as $m ) {
			$this->meta[] = new WC_Meta_Data( $m['id'], $m['key'], $m['value'] );
		}
	}

	public function get_id() {
		return $this->data['id'];
	}

	public function get_name() {
		return $this->data['name'];
	}

	public function get_product_id() {
		return $this->data['product_id'];
	}

	public function get_quantity() {
		return $this->data['quantity'];
	}

	public function get_total() {
		return $this->data['total'];
	}

	public function get_product() {
		return new WC_Product( $this->data['sku'] );
	}
}

class WC_Order {
	use Fake_Meta;

	public $data;
	public $items = array();
	public $notes = array();
	public $saves = 0;

	public function __construct( array $data ) {
		$this->data = $data;
		foreach ( $data['line_items'] as $row ) {
			$this->items[ $row['id'] ] = new WC_Order_Item_Product( $row );
		}
		foreach ( isset( $data['meta_data'] ) ? $data['meta_data'] : array() as $m ) {
			$this->meta[] = new WC_Meta_Data( $m['id'], $m['key'], $m['value'] );
		}
	}

	public static function from_fixture( $path ) {
		return new self( json_decode( file_get_contents( $path ), true ) );
	}

	public function get_items( $type = 'line_item' ) {
		return 'line_item' === $type ? $this->items : array();
	}

	public function get_id() {
		return $this->data['id'];
	}

	public function get_order_number() {
		return $this->data['number'];
	}

	public function get_status() {
		return $this->data['status'];
	}

	public function get_currency() {
		return $this->data['currency'];
	}

	public function get_total() {
		return $this->data['total'];
	}

	public function get_customer_id() {
		return $this->data['customer_id'];
	}

	public function __call( $name, $args ) {
		if ( preg_match( '/^get_(billing|shipping)_(.+)$/', $name, $m ) ) {
			return isset( $this->data[ $m[1] ][ $m[2] ] ) ? $this->data[ $m[1] ][ $m[2] ] : '';
		}
		throw new BadMethodCallException( $name );
	}

	public function save_meta_data() {
		++$this->saves;
	}

	public function add_order_note( $note ) {
		$this->notes[] = $note;
		return count( $this->notes );
	}

	public function get_edit_order_url() {
		return 'https://shop.example/wp-admin/post.php?post=' . $this->get_id() . '&action=edit';
	}
}
