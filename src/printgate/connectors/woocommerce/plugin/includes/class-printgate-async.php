<?php
/**
 * Run just-scheduled work now, without waiting for the next queue run.
 *
 * Orders and event notes go through Action Scheduler (WooCommerce bundles it), which is the retry
 * path. But with WP-Cron off, or on a quiet shop, Action Scheduler only runs when someone opens
 * wp-admin: an order placed on the storefront would reach printgate minutes or hours later. So when
 * work is scheduled to run at once, the end of the request also sends a non-blocking, signed
 * loopback request (the way WordPress spawns WP-Cron) that runs exactly those pending actions through
 * Action Scheduler's own runner. If the loopback never arrives (a host that blocks it), nothing is
 * lost: the actions stay pending and run with the next queue run.
 *
 * @package Printgate_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * The loopback runner.
 */
final class Printgate_Async {

	const ACTION = 'printgate_run_now';
	/** A loopback request older than this is refused (its signature covers the time). */
	const MAX_AGE = 300;
	/** At most this many hook runs in one loopback request. */
	const MAX_RUNS = 20;

	/**
	 * Hook runs asked for during this request, keyed by hook and arguments.
	 *
	 * @var array<string,array{0:string,1:array}>
	 */
	private static $queued = array();

	/** Register hooks: the loopback arrives logged out (no cookies are forwarded). */
	public static function hooks() {
		add_action( 'wp_ajax_nopriv_' . self::ACTION, array( __CLASS__, 'handle' ) );
		add_action( 'wp_ajax_' . self::ACTION, array( __CLASS__, 'handle' ) );
	}

	/**
	 * The hooks a loopback request may run: the plugin's own, nothing else.
	 *
	 * @return string[]
	 */
	public static function allowed_hooks() {
		return array( Printgate_Order_Sync::HOOK, Printgate_Events::NOTE_HOOK );
	}

	/**
	 * Ask for a scheduled hook run to happen right after this request.
	 *
	 * @param string $hook Hook (one of allowed_hooks()).
	 * @param array  $args Its arguments, as scheduled.
	 */
	public static function run_soon( $hook, array $args ) {
		if ( ! in_array( $hook, self::allowed_hooks(), true ) || ! apply_filters( 'printgate_loopback_enabled', true, $hook, $args ) ) {
			return;
		}
		if ( ! self::$queued ) {
			add_action( 'shutdown', array( __CLASS__, 'dispatch' ), 20 );
		}
		self::$queued[ $hook . '|' . wp_json_encode( $args ) ] = array( $hook, array_values( $args ) );
	}

	/**
	 * The signature of a loopback body: keyed with this site's salt, so only this site can make one.
	 *
	 * @param string $payload Body.
	 * @return string
	 */
	public static function sign( $payload ) {
		return hash_hmac( 'sha256', self::ACTION . '|' . $payload, wp_salt( 'nonce' ) );
	}

	/** On shutdown: one non-blocking POST to admin-ajax.php with every run asked for. */
	public static function dispatch() {
		if ( ! self::$queued ) {
			return;
		}
		$payload      = wp_json_encode(
			array(
				'runs' => array_slice( array_values( self::$queued ), 0, self::MAX_RUNS ),
				'time' => time(),
			)
		);
		self::$queued = array();
		$args         = array(
			'blocking'  => false,
			'timeout'   => 0.01,
			'body'      => array(
				'payload' => $payload,
				'sig'     => self::sign( $payload ),
			),
			/** This filter is documented in wp-includes/class-wp-http-streams.php */
			'sslverify' => apply_filters( 'https_local_ssl_verify', false ),
		);
		wp_remote_post( admin_url( 'admin-ajax.php?action=' . self::ACTION ), apply_filters( 'printgate_loopback_args', $args ) );
	}

	/** The admin-ajax handler: check the signature and age, then run the pending actions it names. */
	public static function handle() {
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- a signed server-to-itself call, checked below.
		$payload = isset( $_POST['payload'] ) && is_string( $_POST['payload'] ) ? wp_unslash( $_POST['payload'] ) : ''; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- JSON whose signature is verified before use.
		$sig     = isset( $_POST['sig'] ) && is_string( $_POST['sig'] ) ? sanitize_text_field( wp_unslash( $_POST['sig'] ) ) : '';
		// phpcs:enable
		$data = json_decode( $payload, true );
		if ( '' === $payload || ! hash_equals( self::sign( $payload ), $sig ) || ! is_array( $data )
			|| ! isset( $data['time'], $data['runs'] ) || ! is_array( $data['runs'] ) || abs( time() - (int) $data['time'] ) > self::MAX_AGE ) {
			wp_send_json( array( 'ran' => 0 ), 403 );
		}
		ignore_user_abort( true );
		$ran = 0;
		foreach ( array_slice( $data['runs'], 0, self::MAX_RUNS ) as $run ) {
			if ( is_array( $run ) && isset( $run[0], $run[1] ) && is_string( $run[0] ) && is_array( $run[1] )
				&& in_array( $run[0], self::allowed_hooks(), true ) ) {
				$ran += self::run_pending( $run[0], $run[1] );
			}
		}
		wp_send_json( array( 'ran' => $ran ), 200 );
	}

	/**
	 * Run the pending scheduled actions of one hook and arguments now.
	 *
	 * @param string $hook Hook.
	 * @param array  $args Arguments.
	 * @return int How many ran.
	 */
	public static function run_pending( $hook, array $args ) {
		if ( function_exists( 'as_get_scheduled_actions' ) && class_exists( 'ActionScheduler' ) ) {
			$ids = as_get_scheduled_actions(
				array(
					'hook'     => $hook,
					'args'     => $args,
					'group'    => Printgate_Plugin::AS_GROUP,
					'status'   => ActionScheduler_Store::STATUS_PENDING,
					'per_page' => 5,
				),
				'ids'
			);
			foreach ( $ids as $action_id ) {
				// Action Scheduler's own runner: logs the run, marks it complete or failed.
				ActionScheduler::runner()->process_action( (int) $action_id, 'printgate loopback' );
			}
			return count( $ids );
		}
		if ( false === wp_next_scheduled( $hook, $args ) ) {
			return 0;
		}
		wp_clear_scheduled_hook( $hook, $args );
		do_action_ref_array( $hook, $args );
		return 1;
	}
}
