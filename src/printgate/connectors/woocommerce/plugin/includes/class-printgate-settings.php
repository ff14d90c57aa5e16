<?php
/**
 * WooCommerce → Settings → printgate.
 *
 * Saving goes through WooCommerce's settings screen (its nonce and the manage_woocommerce
 * capability); the test-connection button is its own admin-post action with nonce and capability.
 * Secrets are never printed back into the page: empty secret fields keep the stored value.
 *
 * @package Printgate_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * The settings tab.
 */
class Printgate_Settings {

	const TAB            = 'printgate';
	const TEST_ACTION    = 'printgate_test_connection';
	const TEST_RESULT_TX = 'printgate_test_result_';

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
		add_filter( 'woocommerce_settings_tabs_array', array( $this, 'add_tab' ), 50 );
		add_action( 'woocommerce_settings_' . self::TAB, array( $this, 'output' ) );
		add_action( 'woocommerce_update_options_' . self::TAB, array( $this, 'save' ) );
		add_action( 'woocommerce_admin_field_printgate_secret', array( $this, 'field_secret' ) );
		add_action( 'woocommerce_admin_field_printgate_connection', array( $this, 'field_connection' ) );
		add_filter( 'woocommerce_admin_settings_sanitize_option_' . Printgate_Plugin::OPT_SK, array( $this, 'sanitize_secret_key' ), 10, 3 );
		add_filter( 'woocommerce_admin_settings_sanitize_option_' . Printgate_Plugin::OPT_WHSEC, array( $this, 'sanitize_webhook_secret' ), 10, 3 );
		add_filter( 'woocommerce_admin_settings_sanitize_option_' . Printgate_Plugin::OPT_BASE_URL, array( $this, 'sanitize_base_url' ), 10, 3 );
		add_filter( 'woocommerce_admin_settings_sanitize_option_' . Printgate_Plugin::OPT_PK, array( $this, 'sanitize_publishable_key' ), 10, 3 );
		add_filter( 'woocommerce_admin_settings_sanitize_option_' . Printgate_Plugin::OPT_WORKFLOW, array( $this, 'sanitize_workflow' ), 10, 3 );
		add_action( 'admin_post_' . self::TEST_ACTION, array( $this, 'test_connection' ) );
	}

	/**
	 * Add the printgate tab to WooCommerce's settings.
	 *
	 * @param array $tabs Tabs.
	 * @return array
	 */
	public function add_tab( $tabs ) {
		$tabs[ self::TAB ] = __( 'printgate', 'printgate-for-woocommerce' );
		return $tabs;
	}

	/**
	 * The workflow dropdown's options: a live list from GET /workflows, plus the saved value.
	 *
	 * @param string|null $error Set when the list could not be loaded.
	 * @return array<string,string>
	 */
	public function workflow_options( &$error = null ) {
		$options = array( '' => __( '— Choose a workflow —', 'printgate-for-woocommerce' ) );
		foreach ( $this->plugin->workflows( false, $error ) as $workflow ) {
			$label = $workflow['name'] . ' (' . $workflow['id'] . ')';
			if ( ! $workflow['enabled'] ) {
				$label .= ' — ' . __( 'disabled', 'printgate-for-woocommerce' );
			}
			$options[ $workflow['id'] ] = $label;
		}
		$current = $this->plugin->default_workflow();
		if ( '' !== $current && ! isset( $options[ $current ] ) ) {
			$options[ $current ] = $current;
		}
		return $options;
	}

	/**
	 * The default-workflow field: a list of printgate's workflows once they load; until then (no
	 * secret key saved yet, printgate unreachable) a text field for the workflow id, so the first
	 * save can set it too.
	 *
	 * @param array<string,string> $workflows Options from workflow_options().
	 * @param string|null          $error     Why the list could not be loaded.
	 * @param string               $desc      Help text.
	 * @return array
	 */
	private function workflow_field( array $workflows, $error, $desc ) {
		$field = array(
			'title'    => __( 'Default workflow', 'printgate-for-woocommerce' ),
			'id'       => Printgate_Plugin::OPT_WORKFLOW,
			'default'  => '',
			'desc_tip' => $desc,
		);
		if ( $error ) {
			return $field + array(
				'type'        => 'text',
				'placeholder' => 'wf_…',
				'desc'        => __( 'The workflow id from printgate. After saving the keys, the list of workflows appears here.', 'printgate-for-woocommerce' ),
			);
		}
		return $field + array(
			'type'    => 'select',
			'class'   => 'wc-enhanced-select',
			'options' => $workflows,
		);
	}

	/**
	 * The settings fields.
	 *
	 * @return array
	 */
	public function get_settings() {
		$error     = null;
		$workflows = $this->workflow_options( $error );
		$wf_desc   = __( 'Files are checked against this workflow unless a product overrides it. The list comes from printgate.', 'printgate-for-woocommerce' );
		if ( $error ) {
			/* translators: %s: error message */
			$wf_desc .= ' ' . sprintf( __( 'Could not load workflows: %s', 'printgate-for-woocommerce' ), $error );
		}
		return array(
			array(
				'title' => __( 'printgate', 'printgate-for-woocommerce' ),
				'type'  => 'title',
				'desc'  => __( 'Customers upload their artwork on the product page; printgate checks it, and Add to cart stays disabled until the file can proceed.', 'printgate-for-woocommerce' ),
				'id'    => 'printgate_section',
			),
			array(
				'title'       => __( 'printgate URL', 'printgate-for-woocommerce' ),
				'id'          => Printgate_Plugin::OPT_BASE_URL,
				'type'        => 'url',
				'default'     => Printgate_Plugin::DEFAULT_URL,
				'placeholder' => Printgate_Plugin::DEFAULT_URL,
				'desc_tip'    => __( 'Where your printgate server answers, for example https://printgate.example.com.', 'printgate-for-woocommerce' ),
				'css'         => 'min-width:350px;',
			),
			array(
				'title'       => __( 'Publishable key', 'printgate-for-woocommerce' ),
				'id'          => Printgate_Plugin::OPT_PK,
				'type'        => 'text',
				'default'     => '',
				'placeholder' => 'pk_live_…',
				'desc_tip'    => __( 'Used by the upload widget in the browser. Safe to appear in page source.', 'printgate-for-woocommerce' ),
				'css'         => 'min-width:350px;',
			),
			array(
				'title'       => __( 'Secret key', 'printgate-for-woocommerce' ),
				'id'          => Printgate_Plugin::OPT_SK,
				'type'        => 'printgate_secret',
				'placeholder' => 'sk_live_…',
				'desc'        => __( 'Server-side only: verifies jobs, sends orders and downloads print files.', 'printgate-for-woocommerce' ),
			),
			array(
				'title'       => __( 'Webhook secret', 'printgate-for-woocommerce' ),
				'id'          => Printgate_Plugin::OPT_WHSEC,
				'type'        => 'printgate_secret',
				'placeholder' => 'whsec_…',
				'desc'        => __( 'Signs the orders this shop sends to printgate and verifies the events printgate sends back.', 'printgate-for-woocommerce' ),
			),
			$this->workflow_field( $workflows, $error, $wf_desc ),
			array(
				'title'   => __( 'Presentation', 'printgate-for-woocommerce' ),
				'id'      => Printgate_Plugin::OPT_PRESENTATION,
				'type'    => 'select',
				'default' => 'inline',
				'options' => array(
					'inline' => __( 'Inline on the product page', 'printgate-for-woocommerce' ),
					'dialog' => __( 'Button that opens a dialog', 'printgate-for-woocommerce' ),
				),
			),
			array(
				'title'   => __( 'Require upload', 'printgate-for-woocommerce' ),
				'id'      => Printgate_Plugin::OPT_REQUIRE,
				'type'    => 'checkbox',
				'default' => 'yes',
				'desc'    => __( 'Block Add to cart until a checked print file is attached (products can override this).', 'printgate-for-woocommerce' ),
			),
			array(
				'title'       => __( 'Add to cart button selector', 'printgate-for-woocommerce' ),
				'id'          => Printgate_Plugin::OPT_CART_BUTTON,
				'type'        => 'text',
				'default'     => '',
				'placeholder' => 'form.cart .single_add_to_cart_button',
				'desc_tip'    => __( 'Only needed when your theme uses a custom Add to cart button.', 'printgate-for-woocommerce' ),
			),
			array(
				'title' => __( 'Connection', 'printgate-for-woocommerce' ),
				'id'        => 'printgate_connection',
				'type'      => 'printgate_connection',
				'is_option' => false,
			),
			array(
				'type' => 'sectionend',
				'id'   => 'printgate_section',
			),
		);
	}

	/** Render the tab. */
	public function output() {
		$this->render_test_result();
		WC_Admin_Settings::output_fields( $this->get_settings() );
	}

	/**
	 * Save the tab (WooCommerce has checked its nonce and manage_woocommerce).
	 *
	 * In two passes: the connection (URL and keys) first, then the rest against the workflow list
	 * loaded with the keys just saved. In one pass the workflow would be checked against the list
	 * of the keys stored before (none on the first save) and dropped.
	 */
	public function save() {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			return;
		}
		$connection = array( Printgate_Plugin::OPT_BASE_URL, Printgate_Plugin::OPT_PK, Printgate_Plugin::OPT_SK, Printgate_Plugin::OPT_WHSEC );
		$first      = array();
		foreach ( $this->get_settings() as $field ) {
			if ( isset( $field['id'] ) && in_array( $field['id'], $connection, true ) ) {
				$first[] = $field;
			}
		}
		WC_Admin_Settings::save_fields( $first );
		$this->plugin->reset_client();

		$rest = array();
		foreach ( $this->get_settings() as $field ) {
			if ( ! isset( $field['id'] ) || ! in_array( $field['id'], $connection, true ) ) {
				$rest[] = $field;
			}
		}
		WC_Admin_Settings::save_fields( $rest );
		$this->plugin->reset_client();
	}

	/**
	 * A workflow id typed while the list could not load: kept when it looks like one.
	 *
	 * @param mixed $value     Sanitised value.
	 * @param array $option    Field.
	 * @param mixed $raw_value Raw value.
	 * @return string
	 */
	public function sanitize_workflow( $value, $option, $raw_value ) {
		$value = trim( sanitize_text_field( (string) $value ) );
		if ( '' !== $value && ! Printgate_Api_Client::is_valid_id( $value ) ) {
			WC_Admin_Settings::add_error( __( 'The default workflow must be a printgate workflow id (wf_…). The previous workflow was kept.', 'printgate-for-woocommerce' ) );
			return $this->plugin->default_workflow();
		}
		return $value;
	}

	/**
	 * A password field that never shows the stored value.
	 *
	 * @param array $field Field definition.
	 */
	public function field_secret( $field ) {
		$stored = '' !== trim( (string) get_option( $field['id'], '' ) );
		?>
		<tr valign="top">
			<th scope="row" class="titledesc">
				<label for="<?php echo esc_attr( $field['id'] ); ?>"><?php echo esc_html( $field['title'] ); ?></label>
			</th>
			<td class="forminp forminp-password">
				<input name="<?php echo esc_attr( $field['id'] ); ?>" id="<?php echo esc_attr( $field['id'] ); ?>" type="password" value="" autocomplete="new-password" style="min-width:350px;"
					placeholder="<?php echo esc_attr( $stored ? __( 'Saved — leave empty to keep', 'printgate-for-woocommerce' ) : $field['placeholder'] ); ?>" />
				<p class="description"><?php echo esc_html( $field['desc'] ); ?></p>
			</td>
		</tr>
		<?php
	}

	/**
	 * The test-connection button and the events URL to register in printgate.
	 *
	 * @param array $field Field definition.
	 */
	public function field_connection( $field ) {
		$test_url = wp_nonce_url( admin_url( 'admin-post.php?action=' . self::TEST_ACTION ), self::TEST_ACTION );
		?>
		<tr valign="top">
			<th scope="row" class="titledesc"><?php echo esc_html( $field['title'] ); ?></th>
			<td class="forminp">
				<a class="button" href="<?php echo esc_url( $test_url ); ?>"><?php esc_html_e( 'Test connection', 'printgate-for-woocommerce' ); ?></a>
				<p class="description">
					<?php esc_html_e( 'Save first: the test uses the stored URL and secret key.', 'printgate-for-woocommerce' ); ?>
				</p>
				<p class="description">
					<?php esc_html_e( 'Events endpoint to register in printgate (signed with the webhook secret):', 'printgate-for-woocommerce' ); ?>
					<code><?php echo esc_html( rest_url( Printgate_Events::NAMESPACE_V1 . Printgate_Events::ROUTE ) ); ?></code>
				</p>
			</td>
		</tr>
		<?php
	}

	/**
	 * Keep the stored secret key when the field is left empty; accept only `sk_...`.
	 *
	 * @param mixed $value     Sanitised value.
	 * @param array $option    Field.
	 * @param mixed $raw_value Raw value.
	 * @return string
	 */
	public function sanitize_secret_key( $value, $option, $raw_value ) {
		$value = trim( sanitize_text_field( (string) $raw_value ) );
		if ( '' === $value ) {
			return $this->plugin->secret_key();
		}
		if ( 0 !== strpos( $value, 'sk_' ) ) {
			WC_Admin_Settings::add_error( __( 'The secret key must start with sk_. The previous key was kept.', 'printgate-for-woocommerce' ) );
			return $this->plugin->secret_key();
		}
		return $value;
	}

	/**
	 * Keep the stored webhook secret when the field is left empty; accept only a valid `whsec_...`.
	 *
	 * @param mixed $value     Sanitised value.
	 * @param array $option    Field.
	 * @param mixed $raw_value Raw value.
	 * @return string
	 */
	public function sanitize_webhook_secret( $value, $option, $raw_value ) {
		$value = trim( sanitize_text_field( (string) $raw_value ) );
		if ( '' === $value ) {
			return $this->plugin->webhook_secret();
		}
		try {
			new Printgate_Signer( $value );
		} catch ( InvalidArgumentException $e ) {
			WC_Admin_Settings::add_error( __( 'The webhook secret must be whsec_ followed by base64. The previous secret was kept.', 'printgate-for-woocommerce' ) );
			return $this->plugin->webhook_secret();
		}
		return 0 === strpos( $value, 'whsec_' ) ? $value : 'whsec_' . $value;
	}

	/**
	 * Only http(s) URLs, without trailing slash.
	 *
	 * @param mixed $value     Sanitised value.
	 * @param array $option    Field.
	 * @param mixed $raw_value Raw value.
	 * @return string
	 */
	public function sanitize_base_url( $value, $option, $raw_value ) {
		$url = esc_url_raw( trim( (string) $raw_value ), array( 'http', 'https' ) );
		if ( '' === $url ) {
			WC_Admin_Settings::add_error( __( 'The printgate URL must start with http:// or https://.', 'printgate-for-woocommerce' ) );
			return $this->plugin->base_url();
		}
		return untrailingslashit( $url );
	}

	/**
	 * A publishable key (`pk_...`), never a secret key pasted into the public field.
	 *
	 * @param mixed $value     Sanitised value.
	 * @param array $option    Field.
	 * @param mixed $raw_value Raw value.
	 * @return string
	 */
	public function sanitize_publishable_key( $value, $option, $raw_value ) {
		$value = trim( sanitize_text_field( (string) $raw_value ) );
		if ( '' !== $value && 0 !== strpos( $value, 'pk_' ) ) {
			WC_Admin_Settings::add_error( __( 'The publishable key must start with pk_ (never paste the secret key here). The previous key was kept.', 'printgate-for-woocommerce' ) );
			return $this->plugin->publishable_key();
		}
		return $value;
	}

	/** The admin-post handler: call GET /workflows with the stored key and report back on the settings tab. */
	public function test_connection() {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			wp_die( esc_html__( 'You are not allowed to do this.', 'printgate-for-woocommerce' ), 403 );
		}
		check_admin_referer( self::TEST_ACTION );
		$this->plugin->reset_client();
		$error     = null;
		$workflows = $this->plugin->workflows( true, $error );
		if ( null === $error ) {
			$result = array(
				'ok'      => true,
				/* translators: %d: number of workflows */
				'message' => sprintf( _n( 'Connected to printgate: %d workflow available.', 'Connected to printgate: %d workflows available.', count( $workflows ), 'printgate-for-woocommerce' ), count( $workflows ) ),
			);
			if ( null === $this->plugin->signer() ) {
				$result['message'] .= ' ' . __( 'Add a valid webhook secret so orders can be sent.', 'printgate-for-woocommerce' );
			}
		} else {
			$result = array(
				'ok'      => false,
				/* translators: %s: error message */
				'message' => sprintf( __( 'Could not connect to printgate: %s', 'printgate-for-woocommerce' ), $error ),
			);
		}
		set_transient( self::TEST_RESULT_TX . get_current_user_id(), $result, 5 * MINUTE_IN_SECONDS );
		wp_safe_redirect( Printgate_Plugin::settings_url() );
		exit;
	}

	/** Show (once) the result of the last connection test by this user. */
	private function render_test_result() {
		$key    = self::TEST_RESULT_TX . get_current_user_id();
		$result = get_transient( $key );
		if ( ! is_array( $result ) ) {
			return;
		}
		delete_transient( $key );
		printf(
			'<div class="notice %1$s inline"><p>%2$s</p></div>',
			esc_attr( $result['ok'] ? 'notice-success' : 'notice-error' ),
			esc_html( $result['message'] )
		);
	}
}
