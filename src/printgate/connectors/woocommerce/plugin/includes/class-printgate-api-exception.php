<?php
/**
 * The exception the API client raises when printgate does not answer with a 2xx.
 *
 * Plain PHP (no WordPress functions), so it runs under php-cli tests too.
 *
 * @package Printgate_For_WooCommerce
 */

if ( ! defined( 'ABSPATH' ) && PHP_SAPI !== 'cli' ) {
	exit;
}

/**
 * The printgate server answered, but not with a 2xx (or the answer was not JSON where JSON was expected).
 */
class Printgate_Api_Exception extends RuntimeException {

	/**
	 * HTTP status (0 when no response arrived).
	 *
	 * @var int
	 */
	private $status;

	/**
	 * An error with the HTTP status printgate answered.
	 *
	 * @param string $message Message.
	 * @param int    $status  HTTP status, 0 for network failures.
	 */
	public function __construct( $message, $status = 0 ) {
		parent::__construct( $message );
		$this->status = (int) $status;
	}

	/**
	 * The HTTP status printgate answered (0 when no answer arrived).
	 *
	 * @return int
	 */
	public function get_status() {
		return $this->status;
	}

	/**
	 * Whether sending the same request later can succeed without anyone changing anything
	 * but printgate's availability or the plugin's keys.
	 *
	 * @return bool
	 */
	public function is_retryable() {
		return 0 === $this->status || $this->status >= 500
			|| in_array( $this->status, array( 401, 403, 408, 425, 429 ), true );
	}
}
