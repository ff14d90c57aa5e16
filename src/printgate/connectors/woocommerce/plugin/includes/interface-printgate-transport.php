<?php
/**
 * The HTTP transport the API client talks through.
 *
 * WordPress uses Printgate_WP_Transport (wp_remote_request); tests inject a recording fake.
 *
 * @package Printgate_For_WooCommerce
 */

if ( ! defined( 'ABSPATH' ) && PHP_SAPI !== 'cli' ) {
	exit;
}

/**
 * Sends one HTTP request.
 */
interface Printgate_Transport {

	/**
	 * Send a request and return the response.
	 *
	 * Options understood: `timeout` (seconds), `stream_to` (write the response body to this file
	 * path instead of returning it), `follow_redirects` (default true; false returns the 3xx
	 * answer with its `location` header).
	 *
	 * A network failure (no response at all) throws Printgate_Transport_Exception.
	 *
	 * @param string               $method  HTTP method.
	 * @param string               $url     Absolute URL.
	 * @param array<string,string> $headers Request headers.
	 * @param string|null          $body    Raw request body.
	 * @param array                $options Transport options.
	 * @return array{status:int, headers:array<string,string>, body:string} Header names lower-case.
	 */
	public function request( $method, $url, array $headers, $body = null, array $options = array() );
}
