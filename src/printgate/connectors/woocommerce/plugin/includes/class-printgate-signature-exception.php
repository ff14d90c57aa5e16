<?php
/**
 * The exception the signer raises for a signature it cannot accept.
 *
 * Plain PHP (no WordPress functions), so it runs under php-cli tests too.
 *
 * @package Printgate_For_WooCommerce
 */

if ( ! defined( 'ABSPATH' ) && PHP_SAPI !== 'cli' ) {
	exit;
}

/**
 * Raised when a signature is missing, malformed, wrong or outside the time tolerance.
 */
class Printgate_Signature_Exception extends RuntimeException {
}
