<?php
/**
 * The exception a transport raises when no response arrived.
 *
 * Plain PHP (no WordPress functions), so it runs under php-cli tests too.
 *
 * @package Printgate_For_WooCommerce
 */

if ( ! defined( 'ABSPATH' ) && PHP_SAPI !== 'cli' ) {
	exit;
}

/**
 * No response was received (connection refused, DNS, timeout).
 */
class Printgate_Transport_Exception extends RuntimeException {
}
