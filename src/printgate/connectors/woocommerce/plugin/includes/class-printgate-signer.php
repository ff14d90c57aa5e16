<?php
/**
 * Standard Webhooks signing and verification.
 *
 * Signs the plugin's calls to printgate and verifies printgate's calls to the plugin with the
 * same `whsec_...` secret: `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
 * Plain PHP on purpose (no WordPress functions) so it runs and is tested under php-cli.
 *
 * @package Printgate_For_WooCommerce
 */

if ( ! defined( 'ABSPATH' ) && PHP_SAPI !== 'cli' ) {
	exit;
}

/**
 * Signs and verifies Standard Webhooks messages.
 */
final class Printgate_Signer {

	/** Accepted clock skew between signer and verifier, in seconds. */
	const TOLERANCE = 300;

	/**
	 * Raw HMAC key (the base64-decoded part after `whsec_`).
	 *
	 * @var string
	 */
	private $key;

	/**
	 * A signer for one secret.
	 *
	 * @param string $secret A `whsec_<base64>` secret (the prefix is optional).
	 * @throws InvalidArgumentException When the secret is empty or not base64.
	 */
	public function __construct( $secret ) {
		$secret = trim( (string) $secret );
		if ( 0 === strpos( $secret, 'whsec_' ) ) {
			$secret = substr( $secret, 6 );
		}
		$key = base64_decode( $secret, true );
		if ( '' === $secret || false === $key || '' === $key ) {
			throw new InvalidArgumentException( 'The webhook secret must be whsec_ followed by base64.' );
		}
		$this->key = $key;
	}

	/**
	 * A new unique message id, as used in `webhook-id`.
	 *
	 * @return string
	 */
	public static function new_message_id() {
		return 'msg_' . bin2hex( random_bytes( 16 ) );
	}

	/**
	 * The `webhook-signature` header value for one message.
	 *
	 * @param string $msg_id    Message id.
	 * @param int    $timestamp Unix seconds.
	 * @param string $body      Raw body bytes, exactly as sent.
	 * @return string `v1,<base64>`
	 */
	public function sign( $msg_id, $timestamp, $body ) {
		$signed = $msg_id . '.' . (int) $timestamp . '.' . $body;
		return 'v1,' . base64_encode( hash_hmac( 'sha256', $signed, $this->key, true ) );
	}

	/**
	 * The three Standard Webhooks headers for a body.
	 *
	 * @param string      $body      Raw body.
	 * @param string|null $msg_id    Message id; a new one when null. Keep it stable across retries.
	 * @param int|null    $timestamp Unix seconds; now when null.
	 * @return array<string,string>
	 */
	public function headers( $body, $msg_id = null, $timestamp = null ) {
		$msg_id    = null === $msg_id ? self::new_message_id() : (string) $msg_id;
		$timestamp = null === $timestamp ? time() : (int) $timestamp;
		return array(
			'webhook-id'        => $msg_id,
			'webhook-timestamp' => (string) $timestamp,
			'webhook-signature' => $this->sign( $msg_id, $timestamp, $body ),
		);
	}

	/**
	 * Verify a signed request and return its `webhook-id`.
	 *
	 * Header names are matched case-insensitively; the signature header may carry several
	 * space-separated signatures (key rotation), any `v1,` one matching is enough.
	 *
	 * @param array    $headers Request headers (name => value, or name => [value]).
	 * @param string   $body    Raw request body.
	 * @param int|null $now     Current unix time; time() when null.
	 * @return string The message id, for replay protection by the caller.
	 * @throws Printgate_Signature_Exception When the request is not authentic or not fresh.
	 */
	public function verify( array $headers, $body, $now = null ) {
		$msg_id = self::header( $headers, 'webhook-id' );
		$ts_raw = self::header( $headers, 'webhook-timestamp' );
		$sig    = self::header( $headers, 'webhook-signature' );
		if ( '' === $msg_id || '' === $ts_raw || '' === $sig ) {
			throw new Printgate_Signature_Exception( 'missing webhook-id, webhook-timestamp or webhook-signature header' );
		}
		if ( ! preg_match( '/^\d{1,12}$/', $ts_raw ) ) {
			throw new Printgate_Signature_Exception( 'webhook-timestamp is not an integer' );
		}
		$timestamp = (int) $ts_raw;
		$now       = null === $now ? time() : (int) $now;
		if ( abs( $now - $timestamp ) > self::TOLERANCE ) {
			throw new Printgate_Signature_Exception( 'webhook-timestamp is outside the allowed tolerance' );
		}
		$expected = substr( $this->sign( $msg_id, $timestamp, (string) $body ), 3 );
		$found_v1 = false;
		foreach ( preg_split( '/\s+/', trim( $sig ) ) as $part ) {
			if ( 0 !== strpos( $part, 'v1,' ) ) {
				continue;
			}
			$found_v1 = true;
			if ( hash_equals( $expected, substr( $part, 3 ) ) ) {
				return $msg_id;
			}
		}
		if ( ! $found_v1 ) {
			throw new Printgate_Signature_Exception( 'no v1 signature in webhook-signature' );
		}
		throw new Printgate_Signature_Exception( 'signature does not match' );
	}

	/**
	 * A header value by case-insensitive name ('' when absent).
	 *
	 * @param array  $headers Headers.
	 * @param string $name    Lower-case name.
	 * @return string
	 */
	private static function header( array $headers, $name ) {
		foreach ( $headers as $key => $value ) {
			if ( strtolower( str_replace( '_', '-', (string) $key ) ) === $name ) {
				if ( is_array( $value ) ) {
					$value = reset( $value );
				}
				return trim( (string) $value );
			}
		}
		return '';
	}
}
