<?php
/**
 * Printgate_Transport over the WordPress HTTP API (wp_remote_request).
 *
 * @package Printgate_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Sends requests with wp_remote_request().
 */
class Printgate_WP_Transport implements Printgate_Transport {

	/**
	 * Send a request and return the response (see Printgate_Transport::request()).
	 *
	 * @param string               $method  HTTP method.
	 * @param string               $url     Absolute URL.
	 * @param array<string,string> $headers Request headers.
	 * @param string|null          $body    Raw request body.
	 * @param array                $options Transport options: timeout, stream_to, follow_redirects.
	 * @return array{status:int, headers:array<string,string>, body:string} Header names lower-case.
	 * @throws Printgate_Transport_Exception When no response arrived.
	 */
	public function request( $method, $url, array $headers, $body = null, array $options = array() ) {
		$args = array(
			'method'      => $method,
			'headers'     => $headers,
			'timeout'     => isset( $options['timeout'] ) ? (int) $options['timeout'] : 15,
			'redirection' => isset( $options['follow_redirects'] ) && ! $options['follow_redirects'] ? 0 : 5,
			'user-agent'  => isset( $headers['User-Agent'] ) ? $headers['User-Agent'] : 'printgate-for-woocommerce',
		);
		if ( null !== $body ) {
			$args['body'] = $body;
		}
		if ( ! empty( $options['stream_to'] ) ) {
			$args['stream']   = true;
			$args['filename'] = $options['stream_to'];
		}
		$response = wp_remote_request( $url, $args );
		if ( is_wp_error( $response ) ) {
			throw new Printgate_Transport_Exception( $response->get_error_message() ); // phpcs:ignore WordPress.Security.EscapeOutput.ExceptionNotEscaped -- plain text; escaped where it is shown.
		}
		$headers_out = array();
		$raw_headers = wp_remote_retrieve_headers( $response );
		if ( is_array( $raw_headers ) || $raw_headers instanceof Traversable ) {
			foreach ( $raw_headers as $name => $value ) {
				$headers_out[ strtolower( (string) $name ) ] = is_array( $value ) ? implode( ', ', $value ) : (string) $value;
			}
		}
		return array(
			'status'  => (int) wp_remote_retrieve_response_code( $response ),
			'headers' => $headers_out,
			'body'    => empty( $options['stream_to'] ) ? (string) wp_remote_retrieve_body( $response ) : '',
		);
	}
}
