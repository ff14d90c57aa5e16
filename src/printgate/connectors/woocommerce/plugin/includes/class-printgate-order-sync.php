<?php
/**
 * Sends orders with print files to printgate (POST /orders/{id}) on creation and on every status
 * change, through a queue: the order is marked pending in its own meta first, then sent by a
 * scheduled action (Action Scheduler, else WP-Cron) that retries with backoff. An hourly sweep
 * re-queues any pending order whose action went missing, so an order is never silently dropped.
 *
 * @package Printgate_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Order → printgate.
 */
class Printgate_Order_Sync {

	const HOOK = 'printgate_sync_order';

	/** Order meta. */
	const META_JOB_IDS   = '_printgate_job_ids';
	const META_PENDING   = '_printgate_sync_pending';
	const META_MSG_ID    = '_printgate_sync_msg_id';
	const META_ATTEMPTS  = '_printgate_sync_attempts';
	const META_ERROR     = '_printgate_sync_error';
	const META_FAILED    = '_printgate_sync_failed';
	const META_SYNCED_AT = '_printgate_synced_at';
	const META_SYNCED_ST = '_printgate_synced_status';

	/**
	 * The plugin: settings and the API client.
	 *
	 * @var Printgate_Plugin
	 */
	private $plugin;

	/**
	 * Wire the feature to the plugin.
	 *
	 * @param Printgate_Plugin $plugin Plugin.
	 */
	public function __construct( Printgate_Plugin $plugin ) {
		$this->plugin = $plugin;
	}

	/** Register hooks. */
	public function hooks() {
		add_action( 'woocommerce_checkout_order_processed', array( $this, 'on_classic_checkout' ), 20, 3 );
		add_action( 'woocommerce_store_api_checkout_order_processed', array( $this, 'on_store_api_checkout' ), 20, 1 );
		add_action( 'woocommerce_order_status_changed', array( $this, 'on_status_changed' ), 20, 4 );
		add_action( self::HOOK, array( $this, 'send' ), 10, 1 );
		add_action( Printgate_Plugin::SWEEP_HOOK, array( $this, 'sweep' ) );
	}

	/**
	 * Classic checkout created an order: queue it for printgate.
	 *
	 * @param int      $order_id Order id.
	 * @param array    $posted   Posted data.
	 * @param WC_Order $order    Order.
	 */
	public function on_classic_checkout( $order_id, $posted = array(), $order = null ) {
		$this->enqueue( $order instanceof WC_Order ? $order : wc_get_order( $order_id ) );
	}

	/**
	 * Store API (block) checkout created an order: queue it for printgate.
	 *
	 * @param WC_Order $order Order.
	 */
	public function on_store_api_checkout( $order ) {
		$this->enqueue( $order instanceof WC_Order ? $order : null );
	}

	/**
	 * The order's status changed: send printgate the new state.
	 *
	 * @param int      $order_id Order id.
	 * @param string   $from     Old status.
	 * @param string   $to       New status.
	 * @param WC_Order $order    Order.
	 */
	public function on_status_changed( $order_id, $from, $to, $order = null ) {
		$this->enqueue( $order instanceof WC_Order ? $order : wc_get_order( $order_id ) );
	}

	/**
	 * Mark the order as having a message for printgate and schedule its delivery.
	 *
	 * A new message id per change: printgate may drop a repeated id as a duplicate delivery,
	 * while retries of one message keep their id.
	 *
	 * @param WC_Order|false|null $order Order.
	 * @return bool Whether anything was queued.
	 */
	public function enqueue( $order ) {
		if ( ! $order instanceof WC_Order ) {
			return false;
		}
		$job_ids = Printgate_Order_Payload::job_ids( $order );
		if ( ! $job_ids ) {
			return false;
		}
		$order->update_meta_data( self::META_JOB_IDS, ' ' . implode( ' ', array_unique( $job_ids ) ) . ' ' );
		$order->update_meta_data( self::META_PENDING, (string) time() );
		$order->update_meta_data( self::META_MSG_ID, Printgate_Signer::new_message_id() );
		$order->update_meta_data( self::META_ATTEMPTS, '0' );
		$order->delete_meta_data( self::META_ERROR );
		$order->delete_meta_data( self::META_FAILED );
		$order->save_meta_data();
		Printgate_Plugin::schedule( self::HOOK, array( (int) $order->get_id() ), 0 );
		return true;
	}

	/**
	 * The scheduled action: send the order's current state, or schedule the next attempt.
	 *
	 * @param int $order_id Order id.
	 */
	public function send( $order_id ) {
		$order = wc_get_order( (int) $order_id );
		if ( ! $order instanceof WC_Order || '' === (string) $order->get_meta( self::META_PENDING, true ) ) {
			return;
		}
		$payload = Printgate_Order_Payload::build( $order );
		if ( ! $payload['items'] ) {
			$order->delete_meta_data( self::META_PENDING );
			$order->save_meta_data();
			return;
		}
		$msg_id = (string) $order->get_meta( self::META_MSG_ID, true );
		if ( '' === $msg_id ) {
			$msg_id = Printgate_Signer::new_message_id();
			$order->update_meta_data( self::META_MSG_ID, $msg_id );
		}

		try {
			$this->plugin->client()->capture_order( $payload, $msg_id );
		} catch ( Printgate_Api_Exception $e ) {
			$this->failed( $order, $e );
			return;
		}

		$order->delete_meta_data( self::META_PENDING );
		$order->delete_meta_data( self::META_ERROR );
		$order->delete_meta_data( self::META_FAILED );
		$order->update_meta_data( self::META_ATTEMPTS, '0' );
		$order->update_meta_data( self::META_SYNCED_AT, (string) time() );
		$order->update_meta_data( self::META_SYNCED_ST, $payload['status'] );
		$order->save_meta_data();
	}

	/**
	 * Record a failed attempt and schedule the next one, or give up visibly.
	 *
	 * @param WC_Order                $order Order.
	 * @param Printgate_Api_Exception $e     Failure.
	 */
	private function failed( WC_Order $order, Printgate_Api_Exception $e ) {
		$attempts = (int) $order->get_meta( self::META_ATTEMPTS, true ) + 1;
		$order->update_meta_data( self::META_ATTEMPTS, (string) $attempts );
		$order->update_meta_data( self::META_ERROR, substr( $e->getMessage(), 0, 500 ) );

		// A 409 means printgate already has this message: delivered.
		if ( 409 === $e->get_status() ) {
			$order->delete_meta_data( self::META_PENDING );
			$order->delete_meta_data( self::META_ERROR );
			$order->update_meta_data( self::META_SYNCED_AT, (string) time() );
			$order->save_meta_data();
			return;
		}

		if ( Printgate_Retry::should_retry( $attempts, $e->is_retryable() ) ) {
			$order->save_meta_data();
			Printgate_Plugin::schedule( self::HOOK, array( (int) $order->get_id() ), Printgate_Retry::delay( $attempts ) );
			return;
		}

		// Still pending, but not retried automatically: the "Print files" box offers a retry.
		$order->update_meta_data( self::META_FAILED, (string) time() );
		$order->save_meta_data();
		$order->add_order_note(
			/* translators: %s: error message */
			sprintf( __( 'printgate: the order could not be sent to printgate (%s). Use "Send to printgate again" in the Print files box.', 'printgate-for-woocommerce' ), $e->getMessage() )
		);
		if ( function_exists( 'wc_get_logger' ) ) {
			wc_get_logger()->error( sprintf( 'Order %d not sent: %s', $order->get_id(), $e->getMessage() ), array( 'source' => 'printgate' ) );
		}
	}

	/**
	 * Hourly: re-queue pending orders (not given up on) that have no scheduled action.
	 */
	public function sweep() {
		$orders = wc_get_orders(
			array(
				'limit'      => 50,
				'type'       => 'shop_order',
				'meta_query' => array( // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_query -- bounded, hourly.
					'relation' => 'AND',
					array(
						'key'     => self::META_PENDING,
						'compare' => 'EXISTS',
					),
					array(
						'key'     => self::META_FAILED,
						'compare' => 'NOT EXISTS',
					),
				),
			)
		);
		foreach ( $orders as $order ) {
			if ( '' !== (string) $order->get_meta( self::META_FAILED, true ) ) {
				continue;
			}
			$args = array( (int) $order->get_id() );
			if ( ! Printgate_Plugin::is_scheduled( self::HOOK, $args ) ) {
				Printgate_Plugin::schedule( self::HOOK, $args, 0 );
			}
		}
	}

	/**
	 * Sync state for display: 'synced', 'pending', 'failed' or 'none'.
	 *
	 * @param WC_Order $order Order.
	 * @return string
	 */
	public static function state( WC_Order $order ) {
		if ( '' !== (string) $order->get_meta( self::META_FAILED, true ) ) {
			return 'failed';
		}
		if ( '' !== (string) $order->get_meta( self::META_PENDING, true ) ) {
			return 'pending';
		}
		if ( '' !== (string) $order->get_meta( self::META_SYNCED_AT, true ) ) {
			return 'synced';
		}
		return 'none';
	}
}
