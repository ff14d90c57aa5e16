<?php
/**
 * The body of POST /orders/{id}, built from a WooCommerce order.
 *
 * Uses only WC_Order / WC_Order_Item_Product getters (no global WordPress functions), so it is
 * tested under php-cli with a stand-in order built from a WooCommerce REST fixture.
 *
 * @package Printgate_For_WooCommerce
 */

if ( ! defined( 'ABSPATH' ) && PHP_SAPI !== 'cli' ) {
	exit;
}

/**
 * Builds Filecheck's plugin order body (`source: "wp"`).
 */
final class Printgate_Order_Payload {

	/** Line-item meta written by this plugin (hidden: leading underscore). */
	const JOB_META_KEY = '_printgate_job_id';

	/**
	 * Where a line item's jobId may live, first match wins: ours, then Filecheck's shipped
	 * plugin (hidden), then Filecheck's documented recipe (visible), for migrated shops.
	 */
	const JOB_META_KEYS = array( '_printgate_job_id', '_filecheck_job_id', 'Filecheck Job' );

	/**
	 * The printgate jobId stored on a line item, or null.
	 *
	 * @param object $item WC_Order_Item_Product (anything with get_meta()).
	 * @return string|null
	 */
	public static function item_job_id( $item ) {
		if ( ! is_object( $item ) || ! method_exists( $item, 'get_meta' ) ) {
			return null;
		}
		foreach ( self::JOB_META_KEYS as $key ) {
			$value = $item->get_meta( $key, true );
			if ( is_string( $value ) ) {
				$value = trim( $value );
				if ( Printgate_Api_Client::is_valid_id( $value ) ) {
					return $value;
				}
			}
		}
		return null;
	}

	/**
	 * The jobIds of an order, keyed by line-item id.
	 *
	 * @param object $order WC_Order.
	 * @return array<int,string>
	 */
	public static function job_ids( $order ) {
		$out = array();
		foreach ( $order->get_items( 'line_item' ) as $item_id => $item ) {
			$job_id = self::item_job_id( $item );
			if ( null !== $job_id ) {
				$out[ (int) $item_id ] = $job_id;
			}
		}
		return $out;
	}

	/**
	 * The request body for an order. Only line items that carry a jobId are listed: printgate
	 * needs the print items, not the whole basket.
	 *
	 * @param object $order WC_Order.
	 * @return array
	 */
	public static function build( $order ) {
		$items = array();
		foreach ( $order->get_items( 'line_item' ) as $item_id => $item ) {
			$job_id = self::item_job_id( $item );
			if ( null === $job_id ) {
				continue;
			}
			$product = method_exists( $item, 'get_product' ) ? $item->get_product() : null;
			$row     = array(
				'itemId'    => (int) $item_id,
				'productId' => (int) $item->get_product_id(),
				'name'      => self::text( $item->get_name() ),
				'quantity'  => (int) $item->get_quantity(),
				'sku'       => is_object( $product ) && method_exists( $product, 'get_sku' ) ? (string) $product->get_sku() : '',
				'total'     => self::money( $item->get_total() ),
				'jobId'     => $job_id,
			);
			$meta = self::visible_meta( $item );
			if ( $meta ) {
				$row['meta'] = $meta;
			}
			$items[] = $row;
		}

		$payload = array(
			'orderId'  => (string) $order->get_id(),
			'status'   => (string) $order->get_status(),
			'currency' => (string) $order->get_currency(),
			'total'    => self::money( $order->get_total() ),
			'customer' => array(
				'id'    => (int) $order->get_customer_id(),
				'name'  => self::text( trim( $order->get_billing_first_name() . ' ' . $order->get_billing_last_name() ) ),
				'email' => (string) $order->get_billing_email(),
				'phone' => (string) $order->get_billing_phone(),
			),
			'items'    => $items,
		);

		$shipping = self::shipping_address( $order );
		if ( null !== $shipping ) {
			$payload['shippingAddress'] = $shipping;
		}
		$payload['source'] = 'wp';
		return $payload;
	}

	/**
	 * The order's shipping address in printgate's shape, or null when it has none.
	 *
	 * @param object $order WC_Order.
	 * @return array|null Null when the order has no shipping address.
	 */
	private static function shipping_address( $order ) {
		$address = array(
			'name'     => self::text( trim( $order->get_shipping_first_name() . ' ' . $order->get_shipping_last_name() ) ),
			'address1' => (string) $order->get_shipping_address_1(),
			'address2' => (string) $order->get_shipping_address_2(),
			'city'     => (string) $order->get_shipping_city(),
			'state'    => (string) $order->get_shipping_state(),
			'postcode' => (string) $order->get_shipping_postcode(),
			'country'  => (string) $order->get_shipping_country(),
			'company'  => (string) $order->get_shipping_company(),
		);
		if ( '' === $address['address1'] && '' === $address['city'] && '' === $address['postcode'] ) {
			return null;
		}
		return $address;
	}

	/**
	 * Customer-visible line-item meta (variation attributes, add-on choices) as key => value.
	 * Hidden keys (leading underscore) and the Filecheck jobId key are left out.
	 *
	 * @param object $item Line item.
	 * @return array<string,string>
	 */
	private static function visible_meta( $item ) {
		if ( ! method_exists( $item, 'get_meta_data' ) ) {
			return array();
		}
		$out = array();
		foreach ( $item->get_meta_data() as $meta ) {
			$key   = isset( $meta->key ) ? (string) $meta->key : '';
			$value = isset( $meta->value ) ? $meta->value : null;
			if ( '' === $key || '_' === $key[0] || in_array( $key, self::JOB_META_KEYS, true ) || ! is_scalar( $value ) ) {
				continue;
			}
			$out[ $key ] = self::text( (string) $value );
		}
		return $out;
	}

	/**
	 * Plain text: WooCommerce keeps entities such as `&ndash;` in product names.
	 *
	 * @param string $value Value.
	 * @return string
	 */
	private static function text( $value ) {
		return html_entity_decode( (string) $value, ENT_QUOTES | ENT_HTML5, 'UTF-8' );
	}

	/**
	 * Money as a decimal string, as WooCommerce's REST API shows it ("29.35").
	 *
	 * @param mixed $value Amount.
	 * @return string
	 */
	private static function money( $value ) {
		if ( is_string( $value ) ) {
			return trim( $value );
		}
		return (string) $value;
	}
}
