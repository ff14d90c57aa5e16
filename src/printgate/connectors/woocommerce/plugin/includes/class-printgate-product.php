<?php
/**
 * Products: the per-product override panel, the widget on the product page, the add-to-cart gate,
 * and carrying the jobId from cart to order line item.
 *
 * @package Printgate_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Product page and cart.
 */
class Printgate_Product {

	/** Product meta: '' (use the default), 'none' (no upload) or a workflow id. */
	const META_WORKFLOW = '_printgate_workflow';
	/** Product meta: '' (use the default), 'yes' or 'no'. */
	const META_REQUIRE = '_printgate_require';
	/** Product meta: '' (use the default), 'inline' or 'dialog'. */
	const META_PRESENTATION = '_printgate_presentation';

	/** The hidden form field the widget writes the jobId into. */
	const FIELD = 'printgate_job_id';
	/** Field names Filecheck's recipe and plugin used, read for themes carried over. */
	const LEGACY_FIELDS = array( 'filecheck_job_id', 'fc_job_id' );

	/** Cart item keys. */
	const CART_JOB  = 'printgate_job_id';
	const CART_NAME = 'printgate_file_name';

	/** Line-item meta (hidden). */
	const ITEM_NAME = '_printgate_file_name';

	/**
	 * The plugin: settings and the API client.
	 *
	 * @var Printgate_Plugin
	 */
	private $plugin;

	/**
	 * Jobs verified during this request: job id => array{ok:bool, message:string, name:string}.
	 *
	 * @var array
	 */
	private $verified = array();

	/**
	 * Wire the feature to the plugin.
	 *
	 * @param Printgate_Plugin $plugin Plugin.
	 */
	public function __construct( Printgate_Plugin $plugin ) {
		$this->plugin = $plugin;
	}

	/** Register hooks. */
	public function hooks() {
		// Admin: product data panel.
		add_filter( 'woocommerce_product_data_tabs', array( $this, 'product_tab' ) );
		add_action( 'woocommerce_product_data_panels', array( $this, 'product_panel' ) );
		add_action( 'woocommerce_admin_process_product_object', array( $this, 'save_product' ) );

		// Storefront.
		add_action( 'woocommerce_before_add_to_cart_button', array( $this, 'render_widget' ) );
		add_filter( 'woocommerce_add_to_cart_validation', array( $this, 'validate_add_to_cart' ), 10, 5 );
		add_filter( 'woocommerce_add_cart_item_data', array( $this, 'add_cart_item_data' ), 10, 3 );
		add_filter( 'woocommerce_get_item_data', array( $this, 'cart_item_display' ), 10, 2 );
		add_action( 'woocommerce_checkout_create_order_line_item', array( $this, 'save_line_item' ), 10, 4 );
		add_filter( 'woocommerce_order_item_get_formatted_meta_data', array( $this, 'order_item_display' ), 10, 2 );

		// Archive pages: a product that needs an upload links to its page instead of adding to cart.
		add_filter( 'woocommerce_product_add_to_cart_url', array( $this, 'loop_add_to_cart_url' ), 10, 2 );
		add_filter( 'woocommerce_product_add_to_cart_text', array( $this, 'loop_add_to_cart_text' ), 10, 2 );
		add_filter( 'woocommerce_product_supports', array( $this, 'loop_no_ajax' ), 10, 3 );
	}

	/**
	 * What the product asks for: the workflow (null: no upload), whether it is required, presentation.
	 *
	 * Product meta wins; then Filecheck's product meta (`_fc_workflow_id`, `_fc_required`) for
	 * migrated shops; then the global settings.
	 *
	 * @param int $product_id Product id (the parent for variations).
	 * @return array{workflow:?string, required:bool, presentation:string}
	 */
	public function config_for( $product_id ) {
		$product = wc_get_product( $product_id );
		if ( $product && $product->get_parent_id() ) {
			$product = wc_get_product( $product->get_parent_id() );
		}
		$workflow = $this->plugin->default_workflow();
		$required = $this->plugin->require_upload();
		$present  = $this->plugin->presentation();
		if ( $product ) {
			$own = (string) $product->get_meta( self::META_WORKFLOW, true );
			$fc  = (string) $product->get_meta( '_fc_workflow_id', true );
			if ( 'none' === $own ) {
				$workflow = '';
			} elseif ( Printgate_Api_Client::is_valid_id( $own ) ) {
				$workflow = $own;
			} elseif ( '' === $own && Printgate_Api_Client::is_valid_id( $fc ) ) {
				$workflow = $fc;
			}
			$req    = (string) $product->get_meta( self::META_REQUIRE, true );
			$fc_req = $product->get_meta( '_fc_required', true );
			if ( 'yes' === $req || 'no' === $req ) {
				$required = 'yes' === $req;
			} elseif ( '' !== (string) $fc_req ) {
				$required = wc_string_to_bool( $fc_req );
			}
			$pres = (string) $product->get_meta( self::META_PRESENTATION, true );
			if ( 'inline' === $pres || 'dialog' === $pres ) {
				$present = $pres;
			}
		}
		return array(
			'workflow'     => Printgate_Api_Client::is_valid_id( $workflow ) ? $workflow : null,
			'required'     => $required,
			'presentation' => $present,
		);
	}

	/* ------------------------------------------------------------------ admin panel */

	/**
	 * Add the Print file tab to the product data box.
	 *
	 * @param array $tabs Product data tabs.
	 * @return array
	 */
	public function product_tab( $tabs ) {
		$tabs['printgate'] = array(
			'label'    => __( 'Print file', 'printgate-for-woocommerce' ),
			'target'   => 'printgate_product_data',
			'class'    => array(),
			'priority' => 75,
		);
		return $tabs;
	}

	/** The panel (inside WooCommerce's product form, which carries its own nonce). */
	public function product_panel() {
		global $product_object;
		$product = $product_object instanceof WC_Product ? $product_object : null;

		$options = array(
			''     => __( 'Use the default workflow', 'printgate-for-woocommerce' ),
			'none' => __( 'No upload for this product', 'printgate-for-woocommerce' ),
		);
		$error = null;
		foreach ( $this->plugin->workflows( false, $error ) as $workflow ) {
			$options[ $workflow['id'] ] = $workflow['name'] . ' (' . $workflow['id'] . ')';
		}
		$current = $product ? (string) $product->get_meta( self::META_WORKFLOW, true ) : '';
		if ( '' !== $current && ! isset( $options[ $current ] ) ) {
			$options[ $current ] = $current;
		}

		echo '<div id="printgate_product_data" class="panel woocommerce_options_panel hidden"><div class="options_group">';
		woocommerce_wp_select(
			array(
				'id'          => self::META_WORKFLOW,
				'label'       => __( 'Workflow', 'printgate-for-woocommerce' ),
				'options'     => $options,
				'value'       => $current,
				'desc_tip'    => true,
				'description' => $error ? $error : __( 'Which printgate workflow checks files uploaded for this product.', 'printgate-for-woocommerce' ),
			)
		);
		woocommerce_wp_select(
			array(
				'id'      => self::META_REQUIRE,
				'label'   => __( 'Require an upload', 'printgate-for-woocommerce' ),
				'options' => array(
					''    => __( 'Use the default', 'printgate-for-woocommerce' ),
					'yes' => __( 'Yes: block Add to cart until a file passes', 'printgate-for-woocommerce' ),
					'no'  => __( 'No: the upload is optional', 'printgate-for-woocommerce' ),
				),
				'value'   => $product ? (string) $product->get_meta( self::META_REQUIRE, true ) : '',
			)
		);
		woocommerce_wp_select(
			array(
				'id'      => self::META_PRESENTATION,
				'label'   => __( 'Presentation', 'printgate-for-woocommerce' ),
				'options' => array(
					''       => __( 'Use the default', 'printgate-for-woocommerce' ),
					'inline' => __( 'Inline', 'printgate-for-woocommerce' ),
					'dialog' => __( 'Dialog', 'printgate-for-woocommerce' ),
				),
				'value'   => $product ? (string) $product->get_meta( self::META_PRESENTATION, true ) : '',
			)
		);
		echo '</div></div>';
	}

	/**
	 * Save the panel. WooCommerce has verified the product form's nonce before this action.
	 *
	 * @param WC_Product $product Product being saved.
	 */
	public function save_product( $product ) {
		if ( ! current_user_can( 'edit_product', $product->get_id() ) ) {
			return;
		}
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- verified by WooCommerce (woocommerce_meta_nonce).
		$workflow = isset( $_POST[ self::META_WORKFLOW ] ) ? sanitize_text_field( wp_unslash( $_POST[ self::META_WORKFLOW ] ) ) : '';
		$require  = isset( $_POST[ self::META_REQUIRE ] ) ? sanitize_key( wp_unslash( $_POST[ self::META_REQUIRE ] ) ) : '';
		$present  = isset( $_POST[ self::META_PRESENTATION ] ) ? sanitize_key( wp_unslash( $_POST[ self::META_PRESENTATION ] ) ) : '';
		// phpcs:enable
		if ( '' !== $workflow && 'none' !== $workflow && ! Printgate_Api_Client::is_valid_id( $workflow ) ) {
			$workflow = '';
		}
		$product->update_meta_data( self::META_WORKFLOW, $workflow );
		$product->update_meta_data( self::META_REQUIRE, in_array( $require, array( 'yes', 'no' ), true ) ? $require : '' );
		$product->update_meta_data( self::META_PRESENTATION, in_array( $present, array( 'inline', 'dialog' ), true ) ? $present : '' );
	}

	/* ------------------------------------------------------------------ product page */

	/** The widget slot, the hidden jobId field and the scripts. */
	public function render_widget() {
		global $product;
		if ( ! $product instanceof WC_Product ) {
			return;
		}
		$config = $this->config_for( $product->get_id() );
		$pk     = $this->plugin->publishable_key();
		if ( null === $config['workflow'] || '' === $pk ) {
			return;
		}
		$pid  = (int) $product->get_id();
		$slot = 'printgate-slot-' . $pid;
		$base = $this->plugin->base_url();

		printf(
			'<div id="%1$s" class="printgate-slot" data-product-id="%2$d"></div><input type="hidden" name="%3$s" id="printgate-job-id-%2$d" class="printgate-job-id" value="" />',
			esc_attr( $slot ),
			esc_attr( $pid ),
			esc_attr( self::FIELD )
		);

		wp_enqueue_style( 'printgate-widget', $base . '/widget/v1/printgate.css', array(), null ); // phpcs:ignore WordPress.WP.EnqueuedResourceParameters.MissingVersion -- versioned by its URL.
		wp_enqueue_script( 'printgate-widget', $base . '/widget/v1/printgate.js', array(), null, true ); // phpcs:ignore WordPress.WP.EnqueuedResourceParameters.MissingVersion
		wp_enqueue_script( 'printgate-product', PRINTGATE_WC_URL . 'assets/js/printgate-product.js', array( 'printgate-widget' ), PRINTGATE_WC_VERSION, true );

		// Only the publishable key reaches the browser; the secret key and webhook secret never do.
		$mount = array(
			'publishableKey'     => $pk,
			'workflowId'         => $config['workflow'],
			'apiBase'            => $base,
			'mountSelector'      => '#' . $slot,
			'cartButtonSelector' => $this->plugin->cart_button_selector(),
			'fieldName'          => self::FIELD,
			'presentation'       => $config['presentation'],
			'productId'          => $pid,
			'required'           => (bool) $config['required'],
			'locale'             => str_replace( '_', '-', determine_locale() ),
		);
		wp_add_inline_script(
			'printgate-product',
			'window.printgateMounts = window.printgateMounts || []; window.printgateMounts.push(' . wp_json_encode(
				array(
					'config'   => $mount,
					'required' => (bool) $config['required'],
					'field'    => '#printgate-job-id-' . $pid,
					'message'  => __( 'The upload widget could not be loaded. Please reload the page.', 'printgate-for-woocommerce' ),
				)
			) . ');',
			'before'
		);
	}

	/**
	 * The jobId posted with the add-to-cart form, or ''.
	 *
	 * @return string
	 */
	private function posted_job_id() {
		// phpcs:disable WordPress.Security.NonceVerification -- storefront add-to-cart carries no nonce; the job is verified with printgate instead.
		foreach ( array_merge( array( self::FIELD ), self::LEGACY_FIELDS ) as $field ) {
			if ( isset( $_REQUEST[ $field ] ) && is_string( $_REQUEST[ $field ] ) ) {
				$value = trim( sanitize_text_field( wp_unslash( $_REQUEST[ $field ] ) ) );
				if ( '' !== $value ) {
					return $value;
				}
			}
		}
		// phpcs:enable
		return '';
	}

	/**
	 * Ask printgate (with the secret key) whether a job may go into the cart.
	 *
	 * @param string      $job_id      Job id from the form.
	 * @param string|null $workflow_id The product's workflow.
	 * @return array{ok:bool, message:string, name:string}
	 */
	public function verify_job( $job_id, $workflow_id ) {
		$cache_key = $job_id . '|' . $workflow_id;
		if ( isset( $this->verified[ $cache_key ] ) ) {
			return $this->verified[ $cache_key ];
		}
		$result = array(
			'ok'      => false,
			'message' => __( 'Your print file has not passed the checks. Please fix it or upload another file.', 'printgate-for-woocommerce' ),
			'name'    => '',
		);
		if ( ! Printgate_Api_Client::is_valid_id( $job_id ) ) {
			$result['message'] = __( 'Please upload and check your print file first.', 'printgate-for-woocommerce' );
		} else {
			try {
				$job = $this->plugin->client()->get_job( $job_id );
				if ( Printgate_Api_Client::job_can_proceed( $job, $workflow_id ) ) {
					$result = array(
						'ok'      => true,
						'message' => '',
						'name'    => self::job_file_name( $job ),
					);
				}
			} catch ( Printgate_Api_Exception $e ) {
				if ( 404 === $e->get_status() ) {
					$result['message'] = __( 'Your print file could not be found. Please upload it again.', 'printgate-for-woocommerce' );
				} else {
					// Fail closed: without a confirmation from printgate the file is not accepted.
					$result['message'] = __( 'We could not check your print file right now. Please try again in a moment.', 'printgate-for-woocommerce' );
					if ( function_exists( 'wc_get_logger' ) ) {
						wc_get_logger()->warning( 'Job verification failed: ' . $e->getMessage(), array( 'source' => 'printgate' ) );
					}
				}
			}
		}
		$this->verified[ $cache_key ] = $result;
		return $result;
	}

	/**
	 * A display name for the job's file(s), best effort.
	 *
	 * @param array $job Job body.
	 * @return string
	 */
	public static function job_file_name( array $job ) {
		$names = array();
		foreach ( array( 'runs', 'tasks' ) as $list ) {
			if ( empty( $job[ $list ] ) || ! is_array( $job[ $list ] ) ) {
				continue;
			}
			foreach ( $job[ $list ] as $row ) {
				if ( ! is_array( $row ) ) {
					continue;
				}
				if ( ! empty( $row['name'] ) && is_string( $row['name'] ) ) {
					$names[] = $row['name'];
				} elseif ( isset( $row['source']['name'] ) && is_string( $row['source']['name'] ) ) {
					$names[] = $row['source']['name'];
				}
			}
			if ( $names ) {
				break;
			}
		}
		return implode( ', ', array_unique( $names ) );
	}

	/**
	 * On woocommerce_add_to_cart_validation: block without a jobId when required, and accept only a
	 * job printgate says can proceed.
	 *
	 * @param bool  $passed       Valid so far.
	 * @param int   $product_id   Product.
	 * @param int   $quantity     Quantity.
	 * @param int   $variation_id Variation.
	 * @param array $variations  Attributes.
	 * @return bool
	 */
	public function validate_add_to_cart( $passed, $product_id, $quantity = 1, $variation_id = 0, $variations = array() ) {
		if ( ! $passed ) {
			return $passed;
		}
		$config = $this->config_for( $product_id );
		if ( null === $config['workflow'] ) {
			return $passed;
		}
		$job_id = $this->posted_job_id();
		if ( '' === $job_id ) {
			if ( $config['required'] ) {
				wc_add_notice( __( 'Please upload and check your print file first.', 'printgate-for-woocommerce' ), 'error' );
				return false;
			}
			return $passed;
		}
		$result = $this->verify_job( $job_id, $config['workflow'] );
		if ( ! $result['ok'] ) {
			wc_add_notice( $result['message'], 'error' );
			return false;
		}
		return $passed;
	}

	/**
	 * Keep the verified jobId on the cart item (different files make different cart lines).
	 *
	 * @param array $cart_item_data Cart item data.
	 * @param int   $product_id     Product.
	 * @param int   $variation_id   Variation.
	 * @return array
	 */
	public function add_cart_item_data( $cart_item_data, $product_id, $variation_id = 0 ) {
		$config = $this->config_for( $product_id );
		$job_id = $this->posted_job_id();
		if ( null === $config['workflow'] || '' === $job_id ) {
			return $cart_item_data;
		}
		$result = $this->verify_job( $job_id, $config['workflow'] );
		if ( $result['ok'] ) {
			$cart_item_data[ self::CART_JOB ]  = $job_id;
			$cart_item_data[ self::CART_NAME ] = $result['name'];
		}
		return $cart_item_data;
	}

	/**
	 * The visible "Print file" row in cart and checkout.
	 *
	 * @param array $item_data Rows.
	 * @param array $cart_item Cart item.
	 * @return array
	 */
	public function cart_item_display( $item_data, $cart_item ) {
		if ( empty( $cart_item[ self::CART_JOB ] ) ) {
			return $item_data;
		}
		$label       = ! empty( $cart_item[ self::CART_NAME ] ) ? $cart_item[ self::CART_NAME ] : __( 'checked', 'printgate-for-woocommerce' );
		$item_data[] = array(
			'key'     => __( 'Print file', 'printgate-for-woocommerce' ),
			'value'   => $label,
			'display' => esc_html( $label ),
		);
		return $item_data;
	}

	/**
	 * Hidden line-item meta `_printgate_job_id` (classic and Store API checkout both fire this).
	 *
	 * @param WC_Order_Item_Product $item          Line item.
	 * @param string                $cart_item_key Cart key.
	 * @param array                 $values        Cart item.
	 * @param WC_Order              $order         Order.
	 */
	public function save_line_item( $item, $cart_item_key, $values, $order = null ) {
		if ( empty( $values[ self::CART_JOB ] ) || ! Printgate_Api_Client::is_valid_id( $values[ self::CART_JOB ] ) ) {
			return;
		}
		$item->update_meta_data( Printgate_Order_Payload::JOB_META_KEY, $values[ self::CART_JOB ] );
		if ( ! empty( $values[ self::CART_NAME ] ) ) {
			$item->update_meta_data( self::ITEM_NAME, sanitize_text_field( $values[ self::CART_NAME ] ) );
		}
	}

	/**
	 * Show "Print file" on order views and emails for items with a printgate job.
	 *
	 * @param array         $formatted_meta Meta rows.
	 * @param WC_Order_Item $item           Item.
	 * @return array
	 */
	public function order_item_display( $formatted_meta, $item ) {
		if ( ! $item instanceof WC_Order_Item_Product || '' === (string) $item->get_meta( Printgate_Order_Payload::JOB_META_KEY, true ) ) {
			return $formatted_meta;
		}
		$name = (string) $item->get_meta( self::ITEM_NAME, true );
		$name = '' !== $name ? $name : __( 'checked', 'printgate-for-woocommerce' );

		$formatted_meta['printgate_print_file'] = (object) array(
			'key'           => 'printgate_print_file',
			'value'         => $name,
			'display_key'   => __( 'Print file', 'printgate-for-woocommerce' ),
			'display_value' => esc_html( $name ),
		);
		return $formatted_meta;
	}

	/* ------------------------------------------------------------------ archive pages */

	/**
	 * Whether a product on an archive page needs an upload before add-to-cart.
	 *
	 * @param WC_Product $product Product.
	 * @return bool
	 */
	private function needs_upload( $product ) {
		if ( ! $product instanceof WC_Product || ! $product->is_type( 'simple' ) ) {
			return false;
		}
		$config = $this->config_for( $product->get_id() );
		return null !== $config['workflow'] && $config['required'];
	}

	/**
	 * On archive pages, link a product that needs an upload to its page.
	 *
	 * @param string     $url     URL.
	 * @param WC_Product $product Product.
	 * @return string
	 */
	public function loop_add_to_cart_url( $url, $product = null ) {
		return $this->needs_upload( $product ) ? $product->get_permalink() : $url;
	}

	/**
	 * On archive pages, label a product that needs an upload "Upload file".
	 *
	 * @param string     $text    Text.
	 * @param WC_Product $product Product.
	 * @return string
	 */
	public function loop_add_to_cart_text( $text, $product = null ) {
		if ( is_product() ) {
			return $text;
		}
		return $this->needs_upload( $product ) ? __( 'Upload file', 'printgate-for-woocommerce' ) : $text;
	}

	/**
	 * No AJAX add-to-cart from archive pages for a product that needs an upload.
	 *
	 * @param bool       $supports Supported.
	 * @param string     $feature  Feature.
	 * @param WC_Product $product  Product.
	 * @return bool
	 */
	public function loop_no_ajax( $supports, $feature, $product ) {
		if ( 'ajax_add_to_cart' === $feature && $this->needs_upload( $product ) ) {
			return false;
		}
		return $supports;
	}
}
