<?php
/**
 * The "Print files" meta box on the order screen (HPOS and legacy), and the admin-post actions it
 * links to: file downloads and proof images proxied server-side with the secret key (the key and
 * printgate's signed URLs never reach the browser), and "send to printgate again".
 *
 * @package Printgate_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

use Automattic\WooCommerce\Utilities\OrderUtil;

/**
 * Order screen.
 */
class Printgate_Admin_Order {

	const DOWNLOAD   = 'printgate_download';
	const PROOF      = 'printgate_proof';
	const THUMBNAIL  = 'printgate_thumbnail';
	const RETRY      = 'printgate_retry_sync';
	const CAPABILITY = 'edit_shop_orders';
	const JOB_CACHE  = 'printgate_job_';

	/** Image types a proof may be served as (no SVG: it can carry script). */
	const PROOF_TYPES = array( 'image/png', 'image/jpeg', 'image/webp', 'image/gif' );

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
		add_action( 'add_meta_boxes', array( $this, 'add_meta_box' ) );
		add_action( 'admin_post_' . self::DOWNLOAD, array( $this, 'handle_download' ) );
		add_action( 'admin_post_' . self::PROOF, array( $this, 'handle_proof' ) );
		add_action( 'admin_post_' . self::THUMBNAIL, array( $this, 'handle_thumbnail' ) );
		add_action( 'admin_post_' . self::RETRY, array( $this, 'handle_retry' ) );
	}

	/** The order edit screen id for the active order storage. */
	private function screen_id() {
		if ( class_exists( OrderUtil::class ) && OrderUtil::custom_orders_table_usage_is_enabled() ) {
			return wc_get_page_screen_id( 'shop-order' );
		}
		return 'shop_order';
	}

	/** On add_meta_boxes: the Print files box. */
	public function add_meta_box() {
		add_meta_box( 'printgate-print-files', __( 'Print files', 'printgate-for-woocommerce' ), array( $this, 'render' ), $this->screen_id(), 'normal', 'default' );
	}

	/**
	 * Download URL for a run's output. Without nonce for links stored in order notes (nonces
	 * expire): the handler then asks for a click-through that carries a fresh nonce.
	 *
	 * @param int    $order_id   Order.
	 * @param string $job_id     Job.
	 * @param string $run_id     Run.
	 * @param bool   $with_nonce Add a nonce.
	 * @return string
	 */
	public static function download_url( $order_id, $job_id, $run_id, $with_nonce = true ) {
		$url = add_query_arg(
			array(
				'action'   => self::DOWNLOAD,
				'order_id' => (int) $order_id,
				'job_id'   => rawurlencode( $job_id ),
				'run_id'   => rawurlencode( $run_id ),
			),
			admin_url( 'admin-post.php' )
		);
		return $with_nonce ? wp_nonce_url( $url, self::nonce_action( $order_id ) ) : $url;
	}

	/**
	 * The URL of a proof image, proxied by the plugin with a nonce.
	 *
	 * @param int    $order_id Order.
	 * @param string $job_id   Job.
	 * @param string $run_id   Run.
	 * @param int    $index    Proof index.
	 * @return string
	 */
	public static function proof_url( $order_id, $job_id, $run_id, $index ) {
		return self::image_url( self::PROOF, $order_id, $job_id, $run_id, $index );
	}

	/**
	 * The URL of a run's thumbnail (the job's preview artifact), proxied by the plugin with a nonce.
	 *
	 * @param int    $order_id Order.
	 * @param string $job_id   Job.
	 * @param string $run_id   Run.
	 * @return string
	 */
	public static function thumbnail_url( $order_id, $job_id, $run_id ) {
		return self::image_url( self::THUMBNAIL, $order_id, $job_id, $run_id, 0 );
	}

	/**
	 * A proxied image URL (proof or thumbnail) with the order's nonce.
	 *
	 * @param string $action   Admin-post action.
	 * @param int    $order_id Order.
	 * @param string $job_id   Job.
	 * @param string $run_id   Run.
	 * @param int    $index    Proof index.
	 * @return string
	 */
	private static function image_url( $action, $order_id, $job_id, $run_id, $index ) {
		$url = add_query_arg(
			array(
				'action'   => $action,
				'order_id' => (int) $order_id,
				'job_id'   => rawurlencode( $job_id ),
				'run_id'   => rawurlencode( $run_id ),
				'i'        => (int) $index,
			),
			admin_url( 'admin-post.php' )
		);
		return wp_nonce_url( $url, self::nonce_action( $order_id ) );
	}

	/**
	 * The nonce action of an order's file links.
	 *
	 * @param int $order_id Order.
	 * @return string
	 */
	private static function nonce_action( $order_id ) {
		return 'printgate_file_' . (int) $order_id;
	}

	/**
	 * A job with its runs, cached for a minute so the box and the proof images share one call.
	 *
	 * @param string $job_id Job id.
	 * @return array
	 * @throws Printgate_Api_Exception When printgate cannot be asked.
	 */
	private function job( $job_id ) {
		$key    = self::JOB_CACHE . md5( $job_id );
		$cached = get_transient( $key );
		if ( is_array( $cached ) ) {
			return $cached;
		}
		$job = $this->plugin->client()->get_job( $job_id, true );
		set_transient( $key, $job, MINUTE_IN_SECONDS );
		return $job;
	}

	/**
	 * The meta box.
	 *
	 * @param WP_Post|WC_Order $post_or_order Legacy screens pass the post, HPOS the order.
	 */
	public function render( $post_or_order ) {
		$order = $post_or_order instanceof WC_Order ? $post_or_order : wc_get_order( $post_or_order->ID );
		if ( ! $order instanceof WC_Order ) {
			return;
		}
		$order_id = (int) $order->get_id();
		$items    = $order->get_items( 'line_item' );
		$jobs     = Printgate_Order_Payload::job_ids( $order );

		echo '<div class="printgate-print-files" id="printgate-print-files-box">';
		if ( ! $jobs ) {
			echo '<p>' . esc_html__( 'No print files are attached to this order.', 'printgate-for-woocommerce' ) . '</p></div>';
			return;
		}
		$this->render_sync_state( $order );

		echo '<table class="widefat striped"><thead><tr>';
		foreach ( array( __( 'Item', 'printgate-for-woocommerce' ), __( 'Job', 'printgate-for-woocommerce' ), __( 'Status', 'printgate-for-woocommerce' ), __( 'Files', 'printgate-for-woocommerce' ) ) as $heading ) {
			echo '<th>' . esc_html( $heading ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		foreach ( $jobs as $item_id => $job_id ) {
			$item = isset( $items[ $item_id ] ) ? $items[ $item_id ] : null;
			echo '<tr><td>' . esc_html( $item ? $item->get_name() : '#' . $item_id ) . '</td>';
			echo '<td><code>' . esc_html( $job_id ) . '</code></td>';
			try {
				$job = $this->job( $job_id );
			} catch ( Printgate_Api_Exception $e ) {
				echo '<td colspan="2">' . esc_html(
					/* translators: %s: error message */
					sprintf( __( 'Could not load the job from printgate: %s', 'printgate-for-woocommerce' ), $e->getMessage() )
				) . '</td></tr>';
				continue;
			}
			echo '<td>' . esc_html( $this->status_text( $job ) ) . '</td><td>';
			$this->render_runs( $order_id, $job_id, $job );
			echo '</td></tr>';
		}
		echo '</tbody></table></div>';
	}

	/**
	 * A job's status in words for the meta box.
	 *
	 * @param array $job Job.
	 * @return string
	 */
	private function status_text( array $job ) {
		$parts = array();
		if ( isset( $job['status'] ) && is_scalar( $job['status'] ) ) {
			$parts[] = (string) $job['status'];
		}
		if ( isset( $job['outcome'] ) && is_scalar( $job['outcome'] ) ) {
			$parts[] = (string) $job['outcome'];
		}
		$parts[] = ! empty( $job['canProceed'] ) ? __( 'can proceed', 'printgate-for-woocommerce' ) : __( 'cannot proceed', 'printgate-for-woocommerce' );
		return implode( ' · ', $parts );
	}

	/**
	 * Runs: name, outcome, proof thumbnails (proxied), download button (proxied).
	 *
	 * @param int    $order_id Order.
	 * @param string $job_id   Job.
	 * @param array  $job      Job with runs.
	 */
	private function render_runs( $order_id, $job_id, array $job ) {
		$runs = isset( $job['runs'] ) && is_array( $job['runs'] ) ? $job['runs'] : array();
		if ( ! $runs ) {
			echo esc_html__( 'No files yet.', 'printgate-for-woocommerce' );
			return;
		}
		echo '<ul class="printgate-runs" style="margin:0">';
		foreach ( $runs as $run ) {
			if ( ! is_array( $run ) || ! isset( $run['id'] ) || ! Printgate_Api_Client::is_valid_id( $run['id'] ) ) {
				continue;
			}
			$name    = isset( $run['name'] ) && is_scalar( $run['name'] ) ? (string) $run['name'] : $run['id'];
			$outcome = isset( $run['outcome'] ) && is_scalar( $run['outcome'] ) ? (string) $run['outcome'] : '';
			echo '<li style="margin-bottom:8px"><strong>' . esc_html( $name ) . '</strong>';
			if ( '' !== $outcome ) {
				echo ' <span class="printgate-outcome printgate-outcome-' . esc_attr( sanitize_html_class( $outcome ) ) . '">(' . esc_html( $outcome ) . ')</span>';
			}
			if ( '' !== self::thumbnail_source( $run ) ) {
				$src = self::thumbnail_url( $order_id, $job_id, $run['id'] );
				printf(
					// phpcs:ignore PluginCheck.CodeAnalysis.ImageFunctions.NonEnqueuedImage -- a thumbnail proxied from printgate, not a media-library attachment.
					'<div class="printgate-thumbnail"><a href="%1$s" target="_blank" rel="noopener"><img class="printgate-thumbnail-img" src="%1$s" alt="%2$s" loading="lazy" style="max-width:120px;max-height:120px;margin:4px 0;border:1px solid #ddd;background:#fff" /></a></div>',
					esc_url( $src ),
					/* translators: %s: file name */
					esc_attr( sprintf( __( 'Thumbnail of %s', 'printgate-for-woocommerce' ), $name ) )
				);
			}
			$proofs = isset( $run['proofs'] ) && is_array( $run['proofs'] ) ? $run['proofs'] : array();
			if ( $proofs ) {
				echo '<div class="printgate-proofs-label">' . esc_html__( 'Proof', 'printgate-for-woocommerce' ) . '</div>';
				echo '<div class="printgate-proofs">';
				foreach ( array_values( $proofs ) as $index => $proof ) {
					if ( ! is_array( $proof ) || empty( $proof['url'] ) ) {
						continue;
					}
					$src = self::proof_url( $order_id, $job_id, $run['id'], $index );
					printf(
						// phpcs:ignore PluginCheck.CodeAnalysis.ImageFunctions.NonEnqueuedImage -- a proof proxied from printgate, not a media-library attachment.
						'<a href="%1$s" target="_blank" rel="noopener"><img src="%1$s" alt="%2$s" loading="lazy" style="max-width:96px;max-height:96px;margin:4px 4px 0 0;border:1px solid #ddd" /></a>',
						esc_url( $src ),
						/* translators: 1: file name, 2: page number */
						esc_attr( sprintf( __( 'Proof of %1$s, page %2$d', 'printgate-for-woocommerce' ), $name, $index + 1 ) )
					);
				}
				echo '</div>';
			}
			if ( ! empty( $run['hasOutput'] ) ) {
				printf(
					'<p><a class="button" href="%1$s">%2$s</a></p>',
					esc_url( self::download_url( $order_id, $job_id, $run['id'] ) ),
					esc_html__( 'Download print-ready file', 'printgate-for-woocommerce' )
				);
			}
			echo '</li>';
		}
		echo '</ul>';
	}

	/**
	 * Whether the order reached printgate, with a retry button when it did not.
	 *
	 * @param WC_Order $order Order.
	 */
	private function render_sync_state( WC_Order $order ) {
		$state = Printgate_Order_Sync::state( $order );
		$error = (string) $order->get_meta( Printgate_Order_Sync::META_ERROR, true );
		switch ( $state ) {
			case 'synced':
				$text = sprintf(
					/* translators: %s: date and time */
					__( 'Sent to printgate on %s.', 'printgate-for-woocommerce' ),
					wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), (int) $order->get_meta( Printgate_Order_Sync::META_SYNCED_AT, true ) )
				);
				break;
			case 'pending':
				$text = '' !== $error
					/* translators: %s: error message */
					? sprintf( __( 'Waiting to be sent to printgate; the last attempt failed (%s) and will be retried.', 'printgate-for-woocommerce' ), $error )
					: __( 'Waiting to be sent to printgate.', 'printgate-for-woocommerce' );
				break;
			case 'failed':
				/* translators: %s: error message */
				$text = sprintf( __( 'Not sent to printgate: %s', 'printgate-for-woocommerce' ), $error );
				break;
			default:
				$text = __( 'Not sent to printgate yet.', 'printgate-for-woocommerce' );
		}
		echo '<p>' . esc_html( $text );
		if ( 'synced' !== $state ) {
			$retry = wp_nonce_url(
				add_query_arg(
					array(
						'action'   => self::RETRY,
						'order_id' => (int) $order->get_id(),
					),
					admin_url( 'admin-post.php' )
				),
				self::RETRY . '_' . (int) $order->get_id()
			);
			echo ' <a class="button button-small" href="' . esc_url( $retry ) . '">' . esc_html__( 'Send to printgate again', 'printgate-for-woocommerce' ) . '</a>';
		}
		echo '</p>';
	}

	/**
	 * Read and check order_id / job_id / run_id from the query; the job must belong to the order.
	 *
	 * @return array{0:WC_Order, 1:string, 2:string}
	 */
	private function requested_file() {
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- nonce checked by the callers.
		$order_id = isset( $_GET['order_id'] ) ? absint( $_GET['order_id'] ) : 0;
		$job_id   = isset( $_GET['job_id'] ) ? sanitize_text_field( wp_unslash( $_GET['job_id'] ) ) : '';
		$run_id   = isset( $_GET['run_id'] ) ? sanitize_text_field( wp_unslash( $_GET['run_id'] ) ) : '';
		// phpcs:enable
		$order = $order_id ? wc_get_order( $order_id ) : false;
		if ( ! $order instanceof WC_Order || ! Printgate_Api_Client::is_valid_id( $job_id ) || ! Printgate_Api_Client::is_valid_id( $run_id )
			|| ! in_array( $job_id, Printgate_Order_Payload::job_ids( $order ), true ) ) {
			wp_die( esc_html__( 'This print file does not belong to an order you can see.', 'printgate-for-woocommerce' ), '', array( 'response' => 404 ) );
		}
		return array( $order, $job_id, $run_id );
	}

	/** Refuse users who may not edit orders. */
	private function require_capability() {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'You are not allowed to download print files.', 'printgate-for-woocommerce' ), '', array( 'response' => 403 ) );
		}
	}

	/** The admin-post handler: stream GET /jobs/{id}/runs/{runId}/output to the browser. */
	public function handle_download() {
		$this->require_capability();
		list( $order, $job_id, $run_id ) = $this->requested_file();

		$nonce = isset( $_GET['_wpnonce'] ) ? sanitize_text_field( wp_unslash( $_GET['_wpnonce'] ) ) : '';
		if ( ! wp_verify_nonce( $nonce, self::nonce_action( $order->get_id() ) ) ) {
			// A link from an order note: confirm with a fresh nonce instead of downloading on a bare GET.
			wp_die(
				'<p>' . esc_html(
					/* translators: %d: order number */
					sprintf( __( 'Download the print file of order #%s?', 'printgate-for-woocommerce' ), $order->get_order_number() )
				) . '</p><p><a class="button" href="' . esc_url( self::download_url( $order->get_id(), $job_id, $run_id ) ) . '">'
				. esc_html__( 'Download', 'printgate-for-woocommerce' ) . '</a></p>',
				esc_html__( 'Print file', 'printgate-for-woocommerce' ),
				array( 'response' => 200 )
			);
		}

		$file = wp_tempnam( 'printgate-' . $job_id );
		try {
			$info = $this->plugin->client()->download_run_output( $job_id, $run_id, $file );
		} catch ( Printgate_Api_Exception $e ) {
			wp_delete_file( $file );
			wp_die( esc_html( $e->getMessage() ), esc_html__( 'Print file', 'printgate-for-woocommerce' ), array( 'response' => 502 ) );
		}
		$name = '' !== $info['file_name'] ? $info['file_name'] : $job_id . '-' . $run_id . self::extension_for( $info['content_type'] );
		$this->stream( $file, $info['content_type'], $name, 'attachment', false );
	}

	/**
	 * The signed URL of a run's thumbnail: its `thumbnail` preview, else its first preview ('' when none).
	 *
	 * @param array $run A run of GET /jobs/{id}?expand=runs.
	 * @return string
	 */
	private static function thumbnail_source( array $run ) {
		$previews = isset( $run['previews'] ) && is_array( $run['previews'] ) ? array_values( $run['previews'] ) : array();
		$first    = '';
		foreach ( $previews as $preview ) {
			if ( ! is_array( $preview ) || empty( $preview['url'] ) || ! is_string( $preview['url'] ) ) {
				continue;
			}
			if ( isset( $preview['kind'] ) && 'thumbnail' === $preview['kind'] ) {
				return $preview['url'];
			}
			$first = '' === $first ? $preview['url'] : $first;
		}
		return $first;
	}

	/** The admin-post handler: a proof image, fetched server-side from the run's proof URL. */
	public function handle_proof() {
		$this->require_capability();
		list( $order, $job_id, $run_id ) = $this->requested_file();
		check_admin_referer( self::nonce_action( $order->get_id() ) );
		$this->serve_image( self::PROOF, $job_id, $run_id );
	}

	/** The admin-post handler: a run's thumbnail, fetched server-side from its preview URL. */
	public function handle_thumbnail() {
		$this->require_capability();
		list( $order, $job_id, $run_id ) = $this->requested_file();
		check_admin_referer( self::nonce_action( $order->get_id() ) );
		$this->serve_image( self::THUMBNAIL, $job_id, $run_id );
	}

	/**
	 * Stream a run's proof or thumbnail image, fetched server-side with printgate's signed URL.
	 * The callers checked the capability, the nonce and that the job belongs to the order.
	 *
	 * @param string $what   self::PROOF or self::THUMBNAIL.
	 * @param string $job_id Job.
	 * @param string $run_id Run.
	 */
	private function serve_image( $what, $job_id, $run_id ) {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- nonce checked by the callers.
		$index = isset( $_GET['i'] ) ? absint( $_GET['i'] ) : 0;

		$url = '';
		try {
			$job = $this->job( $job_id );
			foreach ( isset( $job['runs'] ) && is_array( $job['runs'] ) ? $job['runs'] : array() as $run ) {
				if ( ! is_array( $run ) || ! isset( $run['id'] ) || $run['id'] !== $run_id ) {
					continue;
				}
				if ( self::THUMBNAIL === $what ) {
					$url = self::thumbnail_source( $run );
				} elseif ( isset( $run['proofs'] ) && is_array( $run['proofs'] ) ) {
					$proofs = array_values( $run['proofs'] );
					$url    = isset( $proofs[ $index ]['url'] ) ? (string) $proofs[ $index ]['url'] : '';
				}
			}
			if ( '' === $url ) {
				wp_die( esc_html__( 'No such image.', 'printgate-for-woocommerce' ), '', array( 'response' => 404 ) );
			}
			$file = wp_tempnam( 'printgate-image' );
			$info = $this->plugin->client()->fetch_asset( $url, $file );
		} catch ( Printgate_Api_Exception $e ) {
			if ( isset( $file ) ) {
				wp_delete_file( $file );
			}
			wp_die( esc_html( $e->getMessage() ), '', array( 'response' => 502 ) );
		}
		$type = strtolower( trim( strtok( $info['content_type'], ';' ) ) );
		if ( ! in_array( $type, self::PROOF_TYPES, true ) ) {
			wp_delete_file( $file );
			wp_die( esc_html__( 'The file is not an image.', 'printgate-for-woocommerce' ), '', array( 'response' => 502 ) );
		}
		$stem = self::THUMBNAIL === $what ? 'thumbnail-' . $run_id : 'proof-' . $run_id . '-' . ( $index + 1 );
		$this->stream( $file, $type, $stem . self::extension_for( $type ), 'inline', true );
	}

	/** The admin-post handler: queue the order for printgate again. */
	public function handle_retry() {
		$this->require_capability();
		$order_id = isset( $_GET['order_id'] ) ? absint( $_GET['order_id'] ) : 0;
		check_admin_referer( self::RETRY . '_' . $order_id );
		$order = wc_get_order( $order_id );
		if ( ! $order instanceof WC_Order ) {
			wp_die( esc_html__( 'Order not found.', 'printgate-for-woocommerce' ), '', array( 'response' => 404 ) );
		}
		( new Printgate_Order_Sync( $this->plugin ) )->enqueue( $order );
		wp_safe_redirect( $order->get_edit_order_url() );
		exit;
	}

	/**
	 * The file extension for a content type ('' when unknown).
	 *
	 * @param string $content_type MIME type.
	 * @return string
	 */
	private static function extension_for( $content_type ) {
		$map  = array(
			'application/pdf' => '.pdf',
			'image/png'       => '.png',
			'image/jpeg'      => '.jpg',
			'image/webp'      => '.webp',
			'image/gif'       => '.gif',
			'image/tiff'      => '.tif',
			'application/zip' => '.zip',
		);
		$type = strtolower( trim( (string) strtok( (string) $content_type, ';' ) ) );
		return isset( $map[ $type ] ) ? $map[ $type ] : '';
	}

	/**
	 * Send a temporary file to the browser and delete it.
	 *
	 * @param string $file        Path.
	 * @param string $type        Content type.
	 * @param string $name        File name.
	 * @param string $disposition `attachment` or `inline`.
	 * @param bool   $cacheable   Let the browser keep it for a few minutes (proof thumbnails).
	 */
	private function stream( $file, $type, $name, $disposition, $cacheable ) {
		$type = trim( (string) strtok( (string) $type, ';' ) );
		if ( ! preg_match( '#^[a-z0-9][a-z0-9.+\-]*/[a-z0-9][a-z0-9.+\-]*$#i', $type ) ) {
			$type = 'application/octet-stream';
		}
		$name = sanitize_file_name( $name );
		if ( '' === $name ) {
			$name = 'printgate-file';
		}
		while ( ob_get_level() ) {
			ob_end_clean();
		}
		if ( $cacheable ) {
			header( 'Cache-Control: private, max-age=300' );
		} else {
			nocache_headers();
		}
		header( 'Content-Type: ' . $type );
		header( 'Content-Disposition: ' . $disposition . '; filename="' . $name . '"' );
		header( 'Content-Length: ' . (string) filesize( $file ) );
		header( 'X-Content-Type-Options: nosniff' );
		readfile( $file ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_readfile -- streaming a temp file.
		wp_delete_file( $file );
		exit;
	}
}
