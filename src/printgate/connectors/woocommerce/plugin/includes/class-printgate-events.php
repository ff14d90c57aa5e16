<?php
/**
 * POST /wp-json/printgate/v1/events: printgate's outbound events, Standard Webhooks-signed with
 * the webhook secret. Verified (signature, 5-minute tolerance, replayed webhook-id refused), then
 * answered at once; the order note with download links is written by a scheduled action.
 *
 * @package Printgate_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Inbound events.
 */
class Printgate_Events {

	const NAMESPACE_V1  = 'printgate/v1';
	const ROUTE         = '/events';
	const NOTE_HOOK     = 'printgate_event_note';
	const REPLAY_PREFIX = 'printgate_evt_';
	/** Longer than the signature tolerance on both sides, so a replay is refused either way. */
	const REPLAY_TTL   = 900;
	const NOTE_RETRIES = 5;

	/** Event types this plugin acts on. */
	const TYPES = array( 'job.completed', 'order.files_ready' );

	/**
	 * Every answer of the route names the plugin (`"plugin": "printgate-for-woocommerce"`, in an
	 * error's `data` too), so printgate can tell the plugin's answer from a page that happens to
	 * answer 200 at the same URL (a home page under "Plain" permalinks).
	 */
	const PLUGIN_ID = 'printgate-for-woocommerce';

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
		add_action( 'rest_api_init', array( $this, 'register_route' ) );
		add_action( self::NOTE_HOOK, array( $this, 'add_note' ), 10, 4 );
	}

	/** Register the route. Authentication is the signature, checked in the callback. */
	public function register_route() {
		register_rest_route(
			self::NAMESPACE_V1,
			self::ROUTE,
			array(
				'methods'             => 'POST',
				'callback'            => array( $this, 'handle' ),
				'permission_callback' => '__return_true',
			)
		);
	}

	/**
	 * The plugin's own answer: a JSON body that names the plugin and its version.
	 *
	 * @param array $body   Fields.
	 * @param int   $status HTTP status.
	 * @return WP_REST_Response
	 */
	private static function answer( array $body, $status ) {
		return new WP_REST_Response(
			array(
				'plugin'        => self::PLUGIN_ID,
				'pluginVersion' => PRINTGATE_WC_VERSION,
			) + $body,
			$status
		);
	}

	/**
	 * The plugin's own error: WordPress's REST error shape, `data` naming the plugin.
	 *
	 * @param string $code    Code.
	 * @param string $message Message.
	 * @param int    $status  HTTP status.
	 * @return WP_Error
	 */
	private static function error( $code, $message, $status ) {
		return new WP_Error(
			$code,
			$message,
			array(
				'status'        => $status,
				'plugin'        => self::PLUGIN_ID,
				'pluginVersion' => PRINTGATE_WC_VERSION,
			)
		);
	}

	/**
	 * Verify a signed event, answer at once, and queue the order note.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function handle( WP_REST_Request $request ) {
		$signer = $this->plugin->signer();
		if ( null === $signer ) {
			return self::error( 'printgate_not_configured', 'No webhook secret is configured.', 503 );
		}
		$body = $request->get_body();
		try {
			$msg_id = $signer->verify( $request->get_headers(), $body );
		} catch ( Printgate_Signature_Exception $e ) {
			return self::error( 'printgate_bad_signature', $e->getMessage(), 401 );
		}

		$replay_key = self::REPLAY_PREFIX . md5( $msg_id );
		if ( false !== get_transient( $replay_key ) ) {
			return self::error( 'printgate_replay', 'This webhook-id was already received.', 409 );
		}
		set_transient( $replay_key, time(), self::REPLAY_TTL );

		$event = json_decode( $body, true );
		if ( ! is_array( $event ) || ! isset( $event['type'] ) || ! is_string( $event['type'] ) ) {
			return self::error( 'printgate_bad_event', 'The body must be JSON with a type.', 400 );
		}
		$data = isset( $event['data'] ) && is_array( $event['data'] ) ? $event['data'] : array();
		if ( ! in_array( $event['type'], self::TYPES, true ) ) {
			return self::answer(
				array(
					'received' => true,
					'handled'  => false,
				),
				200
			);
		}

		list( $order, $job_ids ) = $this->match_order( $data );
		if ( null === $order ) {
			return self::answer(
				array(
					'received' => true,
					'handled'  => false,
					'reason'   => 'no matching order',
				),
				200
			);
		}
		Printgate_Plugin::schedule( self::NOTE_HOOK, array( (int) $order->get_id(), $event['type'], $job_ids, 0 ), 0 );
		return self::answer(
			array(
				'received' => true,
				'handled'  => true,
				'orderId'  => (string) $order->get_id(),
				'jobIds'   => $job_ids,
			),
			202
		);
	}

	/**
	 * The job ids an event names, from the shapes printgate may send.
	 *
	 * @param array $data Event data.
	 * @return string[]
	 */
	public static function event_job_ids( array $data ) {
		$ids = array();
		foreach ( array( 'jobId', 'id' ) as $key ) {
			if ( isset( $data[ $key ] ) && is_string( $data[ $key ] ) && 0 === strpos( $data[ $key ], 'job_' ) ) {
				$ids[] = $data[ $key ];
			}
		}
		if ( isset( $data['jobIds'] ) && is_array( $data['jobIds'] ) ) {
			$ids = array_merge( $ids, array_filter( $data['jobIds'], 'is_string' ) );
		}
		foreach ( array( 'jobs', 'files', 'items' ) as $list ) {
			if ( empty( $data[ $list ] ) || ! is_array( $data[ $list ] ) ) {
				continue;
			}
			foreach ( $data[ $list ] as $row ) {
				if ( is_string( $row ) ) {
					$ids[] = $row;
				} elseif ( is_array( $row ) && isset( $row['jobId'] ) && is_string( $row['jobId'] ) ) {
					$ids[] = $row['jobId'];
				} elseif ( 'jobs' === $list && is_array( $row ) && isset( $row['id'] ) && is_string( $row['id'] ) ) {
					$ids[] = $row['id'];
				}
			}
		}
		return array_values( array_unique( array_filter( $ids, array( 'Printgate_Api_Client', 'is_valid_id' ) ) ) );
	}

	/**
	 * Find the order an event is about and the jobs of that order it concerns. Only jobs that
	 * are really on the order count, whatever the event claims.
	 *
	 * @param array $data Event data.
	 * @return array{0:?WC_Order, 1:string[]}
	 */
	private function match_order( array $data ) {
		$job_ids = self::event_job_ids( $data );
		$order   = null;
		if ( isset( $data['orderId'] ) && ( is_string( $data['orderId'] ) || is_int( $data['orderId'] ) ) && absint( $data['orderId'] ) ) {
			$found = wc_get_order( absint( $data['orderId'] ) );
			$order = $found instanceof WC_Order ? $found : null;
		}
		if ( null === $order ) {
			foreach ( $job_ids as $job_id ) {
				$orders = wc_get_orders(
					array(
						'limit'      => 1,
						'type'       => 'shop_order',
						'meta_query' => array( // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_query -- one lookup per event.
							array(
								'key'     => Printgate_Order_Sync::META_JOB_IDS,
								'value'   => ' ' . $job_id . ' ',
								'compare' => 'LIKE',
							),
						),
					)
				);
				if ( $orders ) {
					$order = reset( $orders );
					break;
				}
			}
		}
		if ( null === $order ) {
			return array( null, array() );
		}
		$on_order = array_values( array_unique( Printgate_Order_Payload::job_ids( $order ) ) );
		$matched  = $job_ids ? array_values( array_intersect( $job_ids, $on_order ) ) : $on_order;
		return $matched ? array( $order, $matched ) : array( null, array() );
	}

	/**
	 * Scheduled: fetch the jobs with the secret key and add an order note with download links.
	 *
	 * @param int      $order_id Order.
	 * @param string   $type     Event type.
	 * @param string[] $job_ids  Jobs.
	 * @param int      $attempt  Earlier failed attempts.
	 */
	public function add_note( $order_id, $type, $job_ids, $attempt = 0 ) {
		$order = wc_get_order( (int) $order_id );
		if ( ! $order instanceof WC_Order ) {
			return;
		}
		$lines = array();
		foreach ( (array) $job_ids as $job_id ) {
			if ( ! Printgate_Api_Client::is_valid_id( $job_id ) ) {
				continue;
			}
			try {
				$job = $this->plugin->client()->get_job( $job_id, true );
			} catch ( Printgate_Api_Exception $e ) {
				if ( $e->is_retryable() && $attempt < self::NOTE_RETRIES ) {
					Printgate_Plugin::schedule( self::NOTE_HOOK, array( (int) $order_id, $type, $job_ids, $attempt + 1 ), Printgate_Retry::delay( $attempt + 1 ) );
					return;
				}
				/* translators: 1: job id, 2: error message */
				$lines[] = esc_html( sprintf( __( 'Job %1$s could not be loaded: %2$s', 'printgate-for-woocommerce' ), $job_id, $e->getMessage() ) );
				continue;
			}
			$lines = array_merge( $lines, $this->job_lines( $order, $job_id, $job ) );
		}
		if ( ! $lines ) {
			return;
		}
		$title = 'order.files_ready' === $type
			? __( 'printgate: the print files are ready.', 'printgate-for-woocommerce' )
			: __( 'printgate: a print file check has finished.', 'printgate-for-woocommerce' );
		$order->add_order_note( wp_kses_post( esc_html( $title ) . '<br>' . implode( '<br>', $lines ) ) );
	}

	/**
	 * Note lines for one job: status, and per run its outcome and a download link.
	 *
	 * @param WC_Order $order  Order.
	 * @param string   $job_id Job.
	 * @param array    $job    Job with runs.
	 * @return string[] HTML lines.
	 */
	private function job_lines( WC_Order $order, $job_id, array $job ) {
		$status  = isset( $job['status'] ) && is_scalar( $job['status'] ) ? (string) $job['status'] : '';
		$outcome = isset( $job['outcome'] ) && is_scalar( $job['outcome'] ) ? (string) $job['outcome'] : '';
		$lines   = array( esc_html( trim( $job_id . ': ' . $status . ( '' !== $outcome ? ', ' . $outcome : '' ) ) ) );
		foreach ( isset( $job['runs'] ) && is_array( $job['runs'] ) ? $job['runs'] : array() as $run ) {
			if ( ! is_array( $run ) || ! isset( $run['id'] ) || ! Printgate_Api_Client::is_valid_id( $run['id'] ) ) {
				continue;
			}
			$name = isset( $run['name'] ) && is_scalar( $run['name'] ) ? (string) $run['name'] : $run['id'];
			$line = '— ' . esc_html( $name );
			if ( isset( $run['outcome'] ) && is_scalar( $run['outcome'] ) ) {
				$line .= ' (' . esc_html( (string) $run['outcome'] ) . ')';
			}
			if ( ! empty( $run['hasOutput'] ) ) {
				$line .= ' <a href="' . esc_url( Printgate_Admin_Order::download_url( $order->get_id(), $job_id, $run['id'], false ) ) . '">'
					. esc_html__( 'Download', 'printgate-for-woocommerce' ) . '</a>';
			}
			$lines[] = $line;
		}
		return $lines;
	}
}
