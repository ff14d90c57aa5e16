<?php
/**
 * The handful of WordPress functions and classes the plugin's WordPress-side classes touch in
 * the code paths the tests drive (order sync queue, events route). State lives in $GLOBALS['fake_wp'].
 */

define( 'ABSPATH', __DIR__ . '/' );
define( 'MINUTE_IN_SECONDS', 60 );

$GLOBALS['fake_wp'] = array(
	'options'    => array(),
	'transients' => array(),
	'scheduled'  => array(),
	'orders'     => array(),
	'filters'    => array(),
	'hooks'      => array(),
	'routes'     => array(),
	'now'        => null,
);

function fake_now() {
	return null === $GLOBALS['fake_wp']['now'] ? time() : $GLOBALS['fake_wp']['now'];
}

function __( $text, $domain = 'default' ) {
	return $text;
}

function esc_html( $text ) {
	return htmlspecialchars( (string) $text, ENT_QUOTES, 'UTF-8' );
}

function esc_html__( $text, $domain = 'default' ) {
	return esc_html( $text );
}

function esc_url( $url ) {
	return htmlspecialchars( (string) $url, ENT_QUOTES, 'UTF-8' );
}

function wp_kses_post( $html ) {
	return $html;
}

function absint( $value ) {
	return abs( (int) $value );
}

function home_url( $path = '' ) {
	return 'https://shop.example' . $path;
}

function admin_url( $path = '' ) {
	return 'https://shop.example/wp-admin/' . $path;
}

function add_query_arg( array $args, $url ) {
	return $url . ( false === strpos( $url, '?' ) ? '?' : '&' ) . http_build_query( $args );
}

function wp_nonce_url( $url, $action ) {
	return $url . '&_wpnonce=fake';
}

function get_option( $name, $default = false ) {
	return array_key_exists( $name, $GLOBALS['fake_wp']['options'] ) ? $GLOBALS['fake_wp']['options'][ $name ] : $default;
}

function get_transient( $key ) {
	return isset( $GLOBALS['fake_wp']['transients'][ $key ] ) ? $GLOBALS['fake_wp']['transients'][ $key ] : false;
}

function set_transient( $key, $value, $ttl = 0 ) {
	$GLOBALS['fake_wp']['transients'][ $key ] = $value;
	return true;
}

function delete_transient( $key ) {
	unset( $GLOBALS['fake_wp']['transients'][ $key ] );
	return true;
}

function add_filter( $hook, $callback, $priority = 10, $args = 1 ) {
	$GLOBALS['fake_wp']['filters'][ $hook ] = $callback;
	$GLOBALS['fake_wp']['hooks'][]          = array( $hook, $callback, $priority, $args );
	return true;
}

function add_action( $hook, $callback, $priority = 10, $args = 1 ) {
	$GLOBALS['fake_wp']['hooks'][] = array( $hook, $callback, $priority, $args );
	return true;
}

function do_action( $hook, ...$args ) {
	foreach ( $GLOBALS['fake_wp']['hooks'] as $h ) {
		if ( $h[0] === $hook ) {
			call_user_func_array( $h[1], $args );
		}
	}
}

function register_rest_route( $namespace, $route, $args ) {
	$GLOBALS['fake_wp']['routes'][] = array( $namespace, $route, $args );
	return true;
}

function plugin_dir_path( $file ) {
	return dirname( $file ) . '/';
}

function plugin_dir_url( $file ) {
	return 'https://shop.example/wp-content/plugins/' . basename( dirname( $file ) ) . '/';
}

function plugin_basename( $file ) {
	return basename( dirname( $file ) ) . '/' . basename( $file );
}

function register_activation_hook( $file, $callback ) {
	$GLOBALS['fake_wp']['hooks'][] = array( 'activate_' . plugin_basename( $file ), $callback, 10, 1 );
}

function register_deactivation_hook( $file, $callback ) {
	$GLOBALS['fake_wp']['hooks'][] = array( 'deactivate_' . plugin_basename( $file ), $callback, 10, 1 );
}

function apply_filters( $hook, $value ) {
	if ( isset( $GLOBALS['fake_wp']['filters'][ $hook ] ) ) {
		return call_user_func( $GLOBALS['fake_wp']['filters'][ $hook ], $value );
	}
	return $value;
}

function wp_schedule_single_event( $when, $hook, $args = array() ) {
	$GLOBALS['fake_wp']['scheduled'][] = array(
		'delay' => $when - fake_now(),
		'hook'  => $hook,
		'args'  => $args,
	);
	return true;
}

function wp_clear_scheduled_hook( $hook, $args = array() ) {
	$GLOBALS['fake_wp']['scheduled'] = array_values(
		array_filter(
			$GLOBALS['fake_wp']['scheduled'],
			function ( $e ) use ( $hook, $args ) {
				return ! ( $e['hook'] === $hook && $e['args'] === $args );
			}
		)
	);
	return 0;
}

function wp_next_scheduled( $hook, $args = array() ) {
	foreach ( $GLOBALS['fake_wp']['scheduled'] as $e ) {
		if ( $e['hook'] === $hook && $e['args'] === $args ) {
			return fake_now() + $e['delay'];
		}
	}
	return false;
}

function wc_get_order( $id ) {
	return isset( $GLOBALS['fake_wp']['orders'][ (int) $id ] ) ? $GLOBALS['fake_wp']['orders'][ (int) $id ] : false;
}

function wc_get_orders( array $query ) {
	$out = array();
	foreach ( $GLOBALS['fake_wp']['orders'] as $order ) {
		$ok = true;
		foreach ( isset( $query['meta_query'] ) ? $query['meta_query'] : array() as $clause ) {
			if ( ! is_array( $clause ) ) {
				continue;
			}
			$value = (string) $order->get_meta( $clause['key'], true );
			if ( 'EXISTS' === $clause['compare'] ) {
				$ok = $ok && '' !== $value;
			} elseif ( 'NOT EXISTS' === $clause['compare'] ) {
				$ok = $ok && '' === $value;
			} elseif ( 'LIKE' === $clause['compare'] ) {
				$ok = $ok && false !== strpos( $value, $clause['value'] );
			}
		}
		if ( $ok ) {
			$out[] = $order;
		}
	}
	return isset( $query['limit'] ) && $query['limit'] > 0 ? array_slice( $out, 0, $query['limit'] ) : $out;
}

class WP_Error {
	public $code;
	public $message;
	public $data;

	public function __construct( $code, $message, $data = array() ) {
		$this->code    = $code;
		$this->message = $message;
		$this->data    = $data;
	}

	public function get_error_message() {
		return $this->message;
	}
}

class WP_REST_Response {
	public $data;
	public $status;

	public function __construct( $data, $status = 200 ) {
		$this->data   = $data;
		$this->status = $status;
	}
}

class WP_REST_Request {
	private $headers;
	private $body;

	/** Headers as WordPress keeps them: lower-case, dashes turned into underscores, list values. */
	public function __construct( array $headers, $body ) {
		$this->headers = array();
		foreach ( $headers as $name => $value ) {
			$this->headers[ str_replace( '-', '_', strtolower( $name ) ) ] = array( $value );
		}
		$this->body = $body;
	}

	public function get_headers() {
		return $this->headers;
	}

	public function get_body() {
		return $this->body;
	}
}

function wc_get_product( $id ) {
	return isset( $GLOBALS['fake_wp']['products'][ (int) $id ] ) ? $GLOBALS['fake_wp']['products'][ (int) $id ] : false;
}

function wc_add_notice( $message, $type = 'success' ) {
	$GLOBALS['fake_wp']['notices'][] = array( $type, $message );
}

function wc_string_to_bool( $value ) {
	return is_bool( $value ) ? $value : ( 'yes' === strtolower( (string) $value ) || 1 === $value || 'true' === strtolower( (string) $value ) || '1' === $value );
}

function sanitize_text_field( $value ) {
	return trim( preg_replace( '/[\r\n\t ]+/', ' ', strip_tags( (string) $value ) ) );
}

function wp_unslash( $value ) {
	return is_string( $value ) ? stripslashes( $value ) : $value;
}

function esc_attr( $text ) {
	return htmlspecialchars( (string) $text, ENT_QUOTES, 'UTF-8' );
}

function sanitize_html_class( $class ) {
	return preg_replace( '/[^A-Za-z0-9_-]/', '', (string) $class );
}

function wp_date( $format, $timestamp ) {
	return gmdate( 'Y-m-d H:i', (int) $timestamp );
}

function wp_json_encode( $value ) {
	return json_encode( $value );
}

function determine_locale() {
	return 'de_DE';
}

function wp_enqueue_style( $handle, $src = '', $deps = array(), $ver = false ) {
	$GLOBALS['fake_wp']['assets'][] = array( 'style', $handle, $src );
}

function wp_enqueue_script( $handle, $src = '', $deps = array(), $ver = false, $footer = false ) {
	$GLOBALS['fake_wp']['assets'][] = array( 'script', $handle, $src );
}

function wp_add_inline_script( $handle, $code, $position = 'after' ) {
	$GLOBALS['fake_wp']['inline'][] = array( $handle, $code, $position );
	return true;
}

/** wp_remote_request() records its arguments and answers from $GLOBALS['fake_wp']['http']. */
function wp_remote_request( $url, $args ) {
	$GLOBALS['fake_wp']['http_calls'][] = array( 'url' => $url, 'args' => $args );
	$answer = $GLOBALS['fake_wp']['http'];
	if ( isset( $answer['error'] ) ) {
		return new WP_Error( 'http_request_failed', $answer['error'] );
	}
	return array(
		'headers'  => new ArrayObject( $answer['headers'] ), // Requests' header dictionary is Traversable.
		'body'     => $answer['body'],
		'response' => array( 'code' => $answer['code'] ),
	);
}

function is_wp_error( $thing ) {
	return $thing instanceof WP_Error;
}

function wp_remote_retrieve_headers( $response ) {
	return $response['headers'];
}

function wp_remote_retrieve_response_code( $response ) {
	return $response['response']['code'];
}

function wp_remote_retrieve_body( $response ) {
	return $response['body'];
}
