<?php
/**
 * Wiring: options, the API client, and the feature classes.
 *
 * @package Printgate_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * The plugin's single entry point.
 */
final class Printgate_Plugin {

	const TEXT_DOMAIN     = 'printgate-for-woocommerce';
	const DEFAULT_URL     = 'http://127.0.0.1:8000';
	const SWEEP_HOOK      = 'printgate_sync_sweep';
	const AS_GROUP        = 'printgate';
	const WORKFLOWS_CACHE = 'printgate_workflows';

	/** Option names, one per setting. */
	const OPT_BASE_URL     = 'printgate_base_url';
	const OPT_PK           = 'printgate_publishable_key';
	const OPT_SK           = 'printgate_secret_key';
	const OPT_WHSEC        = 'printgate_webhook_secret';
	const OPT_WORKFLOW     = 'printgate_default_workflow';
	const OPT_PRESENTATION = 'printgate_presentation';
	const OPT_REQUIRE      = 'printgate_require_upload';
	const OPT_CART_BUTTON  = 'printgate_cart_button_selector';

	/**
	 * The one instance.
	 *
	 * @var Printgate_Plugin|null
	 */
	private static $instance = null;

	/**
	 * The API client, made on first use.
	 *
	 * @var Printgate_Api_Client|null
	 */
	private $client = null;

	/**
	 * The one instance of the plugin.
	 *
	 * @return Printgate_Plugin
	 */
	public static function instance() {
		if ( null === self::$instance ) {
			self::$instance = new self();
		}
		return self::$instance;
	}

	/**
	 * On plugins_loaded: wire everything when WooCommerce is active.
	 */
	public static function boot() {
		add_action( 'init', array( __CLASS__, 'load_textdomain' ) );
		if ( ! class_exists( 'WooCommerce' ) ) {
			add_action( 'admin_notices', array( __CLASS__, 'missing_woocommerce_notice' ) );
			return;
		}
		$plugin = self::instance();
		( new Printgate_Settings( $plugin ) )->hooks();
		( new Printgate_Product( $plugin ) )->hooks();
		( new Printgate_Order_Sync( $plugin ) )->hooks();
		( new Printgate_Admin_Order( $plugin ) )->hooks();
		( new Printgate_Events( $plugin ) )->hooks();
		Printgate_Async::hooks();
		add_filter( 'plugin_action_links_' . plugin_basename( PRINTGATE_WC_FILE ), array( __CLASS__, 'action_links' ) );
	}

	/** Load translations. */
	public static function load_textdomain() {
		load_plugin_textdomain( self::TEXT_DOMAIN, false, dirname( plugin_basename( PRINTGATE_WC_FILE ) ) . '/languages' );
	}

	/** Activation: the hourly safety-net sweep for unsent orders. */
	public static function activate() {
		if ( ! wp_next_scheduled( self::SWEEP_HOOK ) ) {
			wp_schedule_event( time() + 300, 'hourly', self::SWEEP_HOOK );
		}
	}

	/** Deactivation: stop the sweep (pending orders stay marked and resume on reactivation). */
	public static function deactivate() {
		wp_clear_scheduled_hook( self::SWEEP_HOOK );
	}

	/** Admin notice when WooCommerce is not active. */
	public static function missing_woocommerce_notice() {
		if ( ! current_user_can( 'activate_plugins' ) ) {
			return;
		}
		echo '<div class="notice notice-error"><p>' . esc_html__( 'printgate for WooCommerce needs WooCommerce to be installed and active.', 'printgate-for-woocommerce' ) . '</p></div>';
	}

	/**
	 * "Settings" link on the Plugins screen.
	 *
	 * @param array $links Links.
	 * @return array
	 */
	public static function action_links( $links ) {
		array_unshift( $links, '<a href="' . esc_url( self::settings_url() ) . '">' . esc_html__( 'Settings', 'printgate-for-woocommerce' ) . '</a>' );
		return $links;
	}

	/**
	 * The URL of the plugin's settings tab.
	 *
	 * @return string
	 */
	public static function settings_url() {
		return admin_url( 'admin.php?page=wc-settings&tab=' . Printgate_Settings::TAB );
	}

	/**
	 * The printgate base URL, without trailing slash.
	 *
	 * @return string printgate's base URL without trailing slash.
	 */
	public function base_url() {
		$url = trim( (string) get_option( self::OPT_BASE_URL, self::DEFAULT_URL ) );
		return rtrim( '' === $url ? self::DEFAULT_URL : $url, '/' );
	}

	/**
	 * The publishable key (`pk_...`): the only key the browser sees.
	 *
	 * @return string
	 */
	public function publishable_key() {
		return trim( (string) get_option( self::OPT_PK, '' ) );
	}

	/**
	 * The secret key (`sk_...`): server-side calls only.
	 *
	 * @return string
	 */
	public function secret_key() {
		return trim( (string) get_option( self::OPT_SK, '' ) );
	}

	/**
	 * The webhook secret (`whsec_...`) that signs orders and verifies events.
	 *
	 * @return string
	 */
	public function webhook_secret() {
		return trim( (string) get_option( self::OPT_WHSEC, '' ) );
	}

	/**
	 * The workflow products use unless they name their own ('' when none).
	 *
	 * @return string
	 */
	public function default_workflow() {
		return trim( (string) get_option( self::OPT_WORKFLOW, '' ) );
	}

	/**
	 * How the widget shows on product pages: `inline` or `dialog`.
	 *
	 * @return string `inline` or `dialog`.
	 */
	public function presentation() {
		return 'dialog' === get_option( self::OPT_PRESENTATION, 'inline' ) ? 'dialog' : 'inline';
	}

	/**
	 * Whether add-to-cart waits for a checked file by default.
	 *
	 * @return bool
	 */
	public function require_upload() {
		return 'yes' === get_option( self::OPT_REQUIRE, 'yes' );
	}

	/**
	 * A theme's own add-to-cart button selector ('' for WooCommerce's).
	 *
	 * @return string
	 */
	public function cart_button_selector() {
		return trim( (string) get_option( self::OPT_CART_BUTTON, '' ) );
	}

	/**
	 * The signer for the configured webhook secret, or null when none (or an invalid one) is set.
	 *
	 * @return Printgate_Signer|null
	 */
	public function signer() {
		$secret = $this->webhook_secret();
		if ( '' === $secret ) {
			return null;
		}
		try {
			return new Printgate_Signer( $secret );
		} catch ( InvalidArgumentException $e ) {
			return null;
		}
	}

	/**
	 * The API client for the stored URL and keys (made once per request).
	 *
	 * @return Printgate_Api_Client
	 */
	public function client() {
		if ( null === $this->client ) {
			$this->client = new Printgate_Api_Client(
				$this->base_url(),
				$this->secret_key(),
				$this->signer(),
				apply_filters( 'printgate_http_transport', new Printgate_WP_Transport() ),
				'printgate-for-woocommerce/' . PRINTGATE_WC_VERSION . '; ' . home_url( '/' )
			);
		}
		return $this->client;
	}

	/** Forget the client after settings change. */
	public function reset_client() {
		$this->client = null;
		delete_transient( self::WORKFLOWS_CACHE );
	}

	/**
	 * Workflows from GET /workflows, cached for five minutes.
	 *
	 * @param bool        $force Skip the cache.
	 * @param string|null $error Set to a message when the call failed.
	 * @return array<int,array{id:string,name:string,enabled:bool}>
	 */
	public function workflows( $force = false, &$error = null ) {
		$error = null;
		if ( '' === $this->secret_key() ) {
			$error = __( 'Enter the secret key and save to load workflows.', 'printgate-for-woocommerce' );
			return array();
		}
		$cached = $force ? false : get_transient( self::WORKFLOWS_CACHE );
		if ( is_array( $cached ) ) {
			return $cached;
		}
		try {
			$workflows = $this->client()->list_workflows();
		} catch ( Printgate_Api_Exception $e ) {
			$error = 401 === $e->get_status() || 403 === $e->get_status()
				? __( 'printgate rejected the secret key.', 'printgate-for-woocommerce' )
				: $e->getMessage();
			return array();
		}
		set_transient( self::WORKFLOWS_CACHE, $workflows, 5 * MINUTE_IN_SECONDS );
		return $workflows;
	}

	/**
	 * Run a hook later, through Action Scheduler when present (WooCommerce bundles it), else WP-Cron.
	 * An earlier pending run of the same hook and arguments is replaced. A run due now is also
	 * started right after this request by a loopback call (Printgate_Async): the queue only runs
	 * when something triggers it, and stays the retry path.
	 *
	 * @param string $hook  Hook name.
	 * @param array  $args  Positional arguments.
	 * @param int    $delay Seconds from now.
	 */
	public static function schedule( $hook, array $args, $delay = 0 ) {
		$when = time() + max( 0, (int) $delay );
		if ( function_exists( 'as_schedule_single_action' ) ) {
			as_unschedule_all_actions( $hook, $args, self::AS_GROUP );
			as_schedule_single_action( $when, $hook, $args, self::AS_GROUP );
		} else {
			wp_clear_scheduled_hook( $hook, $args );
			wp_schedule_single_event( $when, $hook, $args );
		}
		if ( (int) $delay <= 0 ) {
			Printgate_Async::run_soon( $hook, $args );
		}
	}

	/**
	 * Whether a run of the hook with these arguments is waiting.
	 *
	 * @param string $hook Hook.
	 * @param array  $args Arguments.
	 * @return bool
	 */
	public static function is_scheduled( $hook, array $args ) {
		if ( function_exists( 'as_has_scheduled_action' ) ) {
			return as_has_scheduled_action( $hook, $args, self::AS_GROUP );
		}
		return false !== wp_next_scheduled( $hook, $args );
	}
}
