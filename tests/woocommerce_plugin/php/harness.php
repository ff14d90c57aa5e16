<?php
/**
 * Drives the plugin's classes from pytest: reads one JSON command on stdin, prints one JSON answer.
 *
 * "Pure" commands load only the classes that must work without WordPress (signer, API client,
 * order payload, retry policy) and leave ABSPATH undefined, proving they need no WordPress.
 * "WordPress" commands load fake_wp.php first, then the WordPress-side classes.
 */

error_reporting( E_ALL );
set_error_handler(
	function ( $severity, $message, $file, $line ) {
		throw new ErrorException( $message, 0, $severity, $file, $line );
	}
);

$plugin = getenv( 'PRINTGATE_PLUGIN_DIR' );
if ( ! $plugin ) {
	fwrite( STDERR, "PRINTGATE_PLUGIN_DIR is not set\n" );
	exit( 2 );
}
$cmd = json_decode( stream_get_contents( STDIN ), true );
if ( ! is_array( $cmd ) || empty( $cmd['cmd'] ) ) {
	fwrite( STDERR, "expected a JSON command\n" );
	exit( 2 );
}

$wp_commands = array( 'events', 'sync', 'event_job_ids', 'job_file_name', 'boot', 'cart', 'render', 'wp_transport' );
if ( in_array( $cmd['cmd'], $wp_commands, true ) ) {
	require __DIR__ . '/fake_wp.php';
}
require __DIR__ . '/fake_wc.php';
foreach ( array( 'class-printgate-signature-exception.php', 'class-printgate-signer.php', 'class-printgate-transport-exception.php', 'interface-printgate-transport.php', 'class-printgate-api-exception.php', 'class-printgate-api-client.php', 'class-printgate-order-payload.php', 'class-printgate-retry.php' ) as $file ) {
	require $plugin . '/includes/' . $file;
}
require __DIR__ . '/recording_transport.php';
if ( 'boot' === $cmd['cmd'] ) {
	require $plugin . '/printgate-for-woocommerce.php';
} elseif ( in_array( $cmd['cmd'], $wp_commands, true ) ) {
	define( 'PRINTGATE_WC_VERSION', 'test' );
	foreach ( array( 'class-printgate-wp-transport.php', 'class-printgate-plugin.php', 'class-printgate-async.php', 'class-printgate-settings.php', 'class-printgate-product.php', 'class-printgate-order-sync.php', 'class-printgate-admin-order.php', 'class-printgate-events.php' ) as $file ) {
		require $plugin . '/includes/' . $file;
	}
}

/**
 * An order from a fixture, with extra line-item meta ({itemId: {key: value}}) and order fields.
 */
function make_order( array $cmd ) {
	$data = json_decode( file_get_contents( $cmd['fixture'] ), true );
	foreach ( isset( $cmd['order'] ) ? $cmd['order'] : array() as $key => $value ) {
		$data[ $key ] = $value;
	}
	$order = new WC_Order( $data );
	foreach ( isset( $cmd['item_meta'] ) ? $cmd['item_meta'] : array() as $item_id => $meta ) {
		foreach ( $meta as $key => $value ) {
			$order->items[ (int) $item_id ]->update_meta_data( $key, $value );
		}
	}
	return $order;
}

function make_client( array $cmd, Recording_Transport $transport ) {
	$signer = empty( $cmd['whsec'] ) ? null : new Printgate_Signer( $cmd['whsec'] );
	return new Printgate_Api_Client(
		isset( $cmd['base_url'] ) ? $cmd['base_url'] : 'http://127.0.0.1:8000',
		isset( $cmd['sk'] ) ? $cmd['sk'] : 'sk_test_123',
		$signer,
		$transport,
		'printgate-for-woocommerce/test'
	);
}

function api_error( Printgate_Api_Exception $e ) {
	return array(
		'message'   => $e->getMessage(),
		'status'    => $e->get_status(),
		'retryable' => $e->is_retryable(),
	);
}

function run( array $cmd ) {
	switch ( $cmd['cmd'] ) {
		case 'sign':
			$signer = new Printgate_Signer( $cmd['secret'] );
			return array( 'headers' => $signer->headers( $cmd['body'], isset( $cmd['id'] ) ? $cmd['id'] : null, isset( $cmd['timestamp'] ) ? $cmd['timestamp'] : null ) );

		case 'verify':
			try {
				$signer = new Printgate_Signer( $cmd['secret'] );
				return array(
					'ok' => true,
					'id' => $signer->verify( $cmd['headers'], $cmd['body'], isset( $cmd['now'] ) ? $cmd['now'] : null ),
				);
			} catch ( Printgate_Signature_Exception $e ) {
				return array( 'ok' => false, 'error' => $e->getMessage() );
			}

		case 'new_signer':
			try {
				new Printgate_Signer( $cmd['secret'] );
				return array( 'ok' => true );
			} catch ( InvalidArgumentException $e ) {
				return array( 'ok' => false, 'error' => $e->getMessage() );
			}

		case 'payload':
			return array(
				'payload' => Printgate_Order_Payload::build( make_order( $cmd ) ),
				'job_ids' => Printgate_Order_Payload::job_ids( make_order( $cmd ) ),
			);

		case 'capture':
			$transport = new Recording_Transport( isset( $cmd['responses'] ) ? $cmd['responses'] : array() );
			$client    = make_client( $cmd, $transport );
			$out       = array();
			try {
				$out['result'] = $client->capture_order( Printgate_Order_Payload::build( make_order( $cmd ) ), isset( $cmd['msg_id'] ) ? $cmd['msg_id'] : null, isset( $cmd['timestamp'] ) ? $cmd['timestamp'] : null );
			} catch ( Printgate_Api_Exception $e ) {
				$out['error'] = api_error( $e );
			}
			$out['requests'] = $transport->requests;
			return $out;

		case 'client':
			$transport = new Recording_Transport( isset( $cmd['responses'] ) ? $cmd['responses'] : array() );
			$client    = make_client( $cmd, $transport );
			$out       = array();
			try {
				$out['result'] = call_user_func_array( array( $client, $cmd['call'] ), isset( $cmd['args'] ) ? $cmd['args'] : array() );
			} catch ( Printgate_Api_Exception $e ) {
				$out['error'] = api_error( $e );
			}
			$out['requests'] = $transport->requests;
			return $out;

		case 'can_proceed':
			return array( 'result' => Printgate_Api_Client::job_can_proceed( $cmd['job'], isset( $cmd['workflow'] ) ? $cmd['workflow'] : null ) );

		case 'retry':
			$out = array();
			foreach ( $cmd['attempts'] as $attempt ) {
				$out[] = array(
					'delay'     => Printgate_Retry::delay( $attempt ),
					'retry'     => Printgate_Retry::should_retry( $attempt, true ),
					'permanent' => Printgate_Retry::should_retry( $attempt, false ),
				);
			}
			return array( 'result' => $out );

		case 'event_job_ids':
			return array( 'result' => Printgate_Events::event_job_ids( $cmd['data'] ) );

		case 'job_file_name':
			return array( 'result' => Printgate_Product::job_file_name( $cmd['job'] ) );

		case 'events':
			return run_events( $cmd );

		case 'sync':
			return run_sync( $cmd );

		case 'boot':
			return run_boot( $cmd );

		case 'cart':
			return run_cart( $cmd );

		case 'render':
			return run_render( $cmd );

		case 'wp_transport':
			$GLOBALS['fake_wp']['http']       = $cmd['answer'];
			$GLOBALS['fake_wp']['http_calls'] = array();
			try {
				$result = ( new Printgate_WP_Transport() )->request( $cmd['method'], $cmd['url'], $cmd['headers'], $cmd['body'], $cmd['options'] );
			} catch ( Printgate_Transport_Exception $e ) {
				$result = array( 'exception' => $e->getMessage() );
			}
			return array( 'result' => $result, 'calls' => $GLOBALS['fake_wp']['http_calls'] );
	}
	throw new InvalidArgumentException( 'unknown command ' . $cmd['cmd'] );
}

/** Wire fake WordPress: options, orders and a recording transport behind the plugin's filter. */
function setup_wp( array $cmd ) {
	$GLOBALS['fake_wp']['options'] = isset( $cmd['options'] ) ? $cmd['options'] : array();
	foreach ( isset( $cmd['orders'] ) ? $cmd['orders'] : array() as $spec ) {
		$order = make_order( $spec );
		foreach ( isset( $spec['order_meta'] ) ? $spec['order_meta'] : array() as $key => $value ) {
			$order->update_meta_data( $key, $value );
		}
		$GLOBALS['fake_wp']['orders'][ $order->get_id() ] = $order;
	}
	$transport = new Recording_Transport( isset( $cmd['responses'] ) ? $cmd['responses'] : array() );
	add_filter(
		'printgate_http_transport',
		function () use ( $transport ) {
			return $transport;
		}
	);
	return $transport;
}

function run_events( array $cmd ) {
	$transport = setup_wp( $cmd );
	$events = new Printgate_Events( Printgate_Plugin::instance() );
	$out    = array();
	foreach ( $cmd['requests'] as $req ) {
		$response = $events->handle( new WP_REST_Request( $req['headers'], $req['body'] ) );
		if ( $response instanceof WP_Error ) {
			$out[] = array(
				'status'  => $response->data['status'],
				'code'    => $response->code,
				'message' => $response->message,
				'plugin'  => isset( $response->data['plugin'] ) ? $response->data['plugin'] : null,
			);
		} else {
			$out[] = array( 'status' => $response->status, 'data' => $response->data );
		}
	}
	$scheduled = $GLOBALS['fake_wp']['scheduled'];
	if ( ! empty( $cmd['run_scheduled'] ) ) {
		$GLOBALS['fake_wp']['scheduled'] = array();
		foreach ( $scheduled as $event ) {
			if ( Printgate_Events::NOTE_HOOK === $event['hook'] ) {
				call_user_func_array( array( $events, 'add_note' ), $event['args'] );
			}
		}
	}
	$notes = array();
	foreach ( $GLOBALS['fake_wp']['orders'] as $id => $order ) {
		$notes[ $id ] = $order->notes;
	}
	return array(
		'responses'   => $out,
		'scheduled'   => $scheduled,
		'rescheduled' => ! empty( $cmd['run_scheduled'] ) ? $GLOBALS['fake_wp']['scheduled'] : array(),
		'notes'       => $notes,
		'requests'    => $transport->requests,
	);
}

/** Load the main plugin file as WordPress would, boot it, fire rest_api_init; report what got registered. */
function run_boot( array $cmd ) {
	if ( ! empty( $cmd['woocommerce'] ) ) {
		eval( 'class WooCommerce {}' ); // phpcs:ignore Squiz.PHP.Eval -- the class only has to exist.
	}
	eval( 'namespace Automattic\\WooCommerce\\Utilities; class FeaturesUtil { public static function declare_compatibility( $feature, $file, $ok ) { $GLOBALS["fake_wp"]["features"][] = array( $feature, basename( $file ), $ok ); } }' ); // phpcs:ignore
	$GLOBALS['fake_wp']['features'] = array();
	do_action( 'before_woocommerce_init' );
	do_action( 'plugins_loaded' );
	do_action( 'rest_api_init' );
	$hooks = array();
	foreach ( $GLOBALS['fake_wp']['hooks'] as $h ) {
		$callback = $h[1];
		if ( is_array( $callback ) ) {
			$name = ( is_object( $callback[0] ) ? get_class( $callback[0] ) : $callback[0] ) . '::' . $callback[1];
		} elseif ( is_string( $callback ) ) {
			$name = $callback;
		} else {
			$name = 'closure';
		}
		$hooks[] = array(
			'hook'     => $h[0],
			'callback' => $name,
			'callable' => is_callable( $callback ),
			'accepted' => $h[3],
			'params'   => is_array( $callback ) ? ( new ReflectionMethod( $callback[0], $callback[1] ) )->getNumberOfParameters() : null,
		);
	}
	$routes = array();
	foreach ( $GLOBALS['fake_wp']['routes'] as $r ) {
		$routes[] = array(
			'namespace'  => $r[0],
			'route'      => $r[1],
			'methods'    => $r[2]['methods'],
			'permission' => $r[2]['permission_callback'],
			'callable'   => is_callable( $r[2]['callback'] ),
		);
	}
	return array( 'hooks' => $hooks, 'routes' => $routes, 'features' => $GLOBALS['fake_wp']['features'] );
}

/**
 * Storefront flow for one add-to-cart request: validation, cart item data, the cart row,
 * the order line item, and the "Print file" row on order views.
 */
function run_cart( array $cmd ) {
	$transport                     = setup_wp( $cmd );
	$GLOBALS['fake_wp']['notices'] = array();
	foreach ( $cmd['products'] as $id => $meta ) {
		$GLOBALS['fake_wp']['products'][ (int) $id ] = new WC_Product( 'SKU' . $id, (int) $id, $meta );
	}
	$_REQUEST = isset( $cmd['request'] ) ? $cmd['request'] : array();
	$_POST    = $_REQUEST;
	$product  = new Printgate_Product( Printgate_Plugin::instance() );
	$pid      = (int) $cmd['product_id'];
	$out      = array(
		'config' => $product->config_for( $pid ),
		'valid'  => $product->validate_add_to_cart( true, $pid, 1 ),
	);
	$out['notices']   = $GLOBALS['fake_wp']['notices'];
	$out['cart_item'] = $product->add_cart_item_data( array(), $pid, 0 );
	$out['cart_rows'] = $product->cart_item_display( array(), $out['cart_item'] );
	$item             = new WC_Order_Item_Product( array( 'id' => 1, 'name' => 'Card', 'product_id' => $pid, 'quantity' => 1, 'total' => '1.00', 'sku' => '' ) );
	$product->save_line_item( $item, 'key', $out['cart_item'], null );
	$out['line_item_meta'] = $item->meta_array();
	$out['order_rows']     = array_values( (array) $product->order_item_display( array(), $item ) );
	$out['requests']       = $transport->requests;
	return $out;
}

/** HTML the plugin prints: the order screen's "Print files" box and the product-page widget. */
function run_render( array $cmd ) {
	setup_wp( $cmd );
	define( 'PRINTGATE_WC_URL', 'https://shop.example/wp-content/plugins/printgate-for-woocommerce/' );
	$GLOBALS['fake_wp']['assets'] = array();
	$GLOBALS['fake_wp']['inline'] = array();
	$plugin                       = Printgate_Plugin::instance();

	ob_start();
	( new Printgate_Admin_Order( $plugin ) )->render( wc_get_order( (int) $cmd['order_id'] ) );
	$meta_box = ob_get_clean();

	$GLOBALS['fake_wp']['products'][42] = new WC_Product( 'SKU42', 42, isset( $cmd['product_meta'] ) ? $cmd['product_meta'] : array() );
	$GLOBALS['product']                 = $GLOBALS['fake_wp']['products'][42];
	ob_start();
	( new Printgate_Product( $plugin ) )->render_widget();
	$widget = ob_get_clean();

	return array(
		'meta_box' => $meta_box,
		'widget'   => $widget,
		'assets'   => $GLOBALS['fake_wp']['assets'],
		'inline'   => $GLOBALS['fake_wp']['inline'],
	);
}

function run_sync( array $cmd ) {
	$transport = setup_wp( $cmd );
	$sync      = new Printgate_Order_Sync( Printgate_Plugin::instance() );
	$order_id  = (int) $cmd['order_id'];
	$steps     = array();
	foreach ( $cmd['steps'] as $step ) {
		$seen = count( $transport->requests );
		if ( 'enqueue' === $step ) {
			$sync->enqueue( wc_get_order( $order_id ) );
		} elseif ( 'send' === $step ) {
			// As WP-Cron does: the event being run is no longer scheduled.
			wp_clear_scheduled_hook( Printgate_Order_Sync::HOOK, array( $order_id ) );
			$sync->send( $order_id );
		} elseif ( 'sweep' === $step ) {
			$GLOBALS['fake_wp']['scheduled'] = array();
			$sync->sweep();
		} elseif ( 0 === strpos( $step, 'status:' ) ) {
			wc_get_order( $order_id )->data['status'] = substr( $step, 7 );
			$sync->on_status_changed( $order_id, '', substr( $step, 7 ), wc_get_order( $order_id ) );
		}
		$order   = wc_get_order( $order_id );
		$steps[] = array(
			'step'      => $step,
			'meta'      => $order->meta_array(),
			'state'     => Printgate_Order_Sync::state( $order ),
			'scheduled' => $GLOBALS['fake_wp']['scheduled'],
			'notes'     => $order->notes,
			'requests'  => array_slice( $transport->requests, $seen ),
		);
	}
	return array( 'steps' => $steps );
}

echo json_encode( run( $cmd ), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION );
