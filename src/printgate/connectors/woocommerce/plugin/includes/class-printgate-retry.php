<?php
/**
 * When to try sending an order to printgate again.
 *
 * Plain PHP (no WordPress) so the schedule is tested under php-cli.
 *
 * @package Printgate_For_WooCommerce
 */

if ( ! defined( 'ABSPATH' ) && PHP_SAPI !== 'cli' ) {
	exit;
}

/**
 * Exponential backoff: 1 min, 2, 4, ... capped at 6 h; 30 attempts span about six days.
 */
final class Printgate_Retry {

	const BASE_DELAY   = 60;
	const MAX_DELAY    = 21600;
	const MAX_ATTEMPTS = 30;

	/**
	 * Seconds to wait before attempt number $attempt + 1, after $attempt failures (1-based).
	 *
	 * @param int $attempt Failures so far.
	 * @return int
	 */
	public static function delay( $attempt ) {
		$attempt = max( 1, (int) $attempt );
		if ( $attempt > 20 ) {
			return self::MAX_DELAY;
		}
		return (int) min( self::MAX_DELAY, self::BASE_DELAY * ( 2 ** ( $attempt - 1 ) ) );
	}

	/**
	 * Whether another attempt should be scheduled after this failure.
	 *
	 * @param int  $attempt   Failures so far.
	 * @param bool $retryable Whether the failure can heal by itself (network, 5xx, 401, 429).
	 * @return bool
	 */
	public static function should_retry( $attempt, $retryable ) {
		return $retryable && (int) $attempt < self::MAX_ATTEMPTS;
	}
}
