<?php
/**
 * Plugin Name:          printgate for WooCommerce
 * Plugin URI:           https://github.com/printgate/printgate
 * Description:          Gate add-to-cart on a checked print file: mounts the printgate upload widget on product pages, verifies the job server-side, attaches it to the order, sends the order to printgate and delivers the print-ready files to the order page.
 * Version:              0.1.0
 * Requires at least:    6.2
 * Requires PHP:         7.4
 * Requires Plugins:     woocommerce
 * Author:               printgate
 * License:              AGPL-3.0-or-later
 * License URI:          https://www.gnu.org/licenses/agpl-3.0.html
 * Text Domain:          printgate-for-woocommerce
 * Domain Path:          /languages
 * WC requires at least: 8.2
 * WC tested up to:      10.0
 *
 * @package Printgate_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

define( 'PRINTGATE_WC_VERSION', '0.1.0' );
define( 'PRINTGATE_WC_FILE', __FILE__ );
define( 'PRINTGATE_WC_DIR', plugin_dir_path( __FILE__ ) );
define( 'PRINTGATE_WC_URL', plugin_dir_url( __FILE__ ) );

require_once PRINTGATE_WC_DIR . 'includes/class-printgate-signature-exception.php';
require_once PRINTGATE_WC_DIR . 'includes/class-printgate-signer.php';
require_once PRINTGATE_WC_DIR . 'includes/class-printgate-transport-exception.php';
require_once PRINTGATE_WC_DIR . 'includes/interface-printgate-transport.php';
require_once PRINTGATE_WC_DIR . 'includes/class-printgate-api-exception.php';
require_once PRINTGATE_WC_DIR . 'includes/class-printgate-api-client.php';
require_once PRINTGATE_WC_DIR . 'includes/class-printgate-order-payload.php';
require_once PRINTGATE_WC_DIR . 'includes/class-printgate-retry.php';
require_once PRINTGATE_WC_DIR . 'includes/class-printgate-wp-transport.php';
require_once PRINTGATE_WC_DIR . 'includes/class-printgate-plugin.php';
require_once PRINTGATE_WC_DIR . 'includes/class-printgate-async.php';
require_once PRINTGATE_WC_DIR . 'includes/class-printgate-settings.php';
require_once PRINTGATE_WC_DIR . 'includes/class-printgate-product.php';
require_once PRINTGATE_WC_DIR . 'includes/class-printgate-order-sync.php';
require_once PRINTGATE_WC_DIR . 'includes/class-printgate-admin-order.php';
require_once PRINTGATE_WC_DIR . 'includes/class-printgate-events.php';

// Orders are only read and written through wc_get_order() and the order's meta API.
add_action(
	'before_woocommerce_init',
	static function () {
		if ( class_exists( \Automattic\WooCommerce\Utilities\FeaturesUtil::class ) ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', PRINTGATE_WC_FILE, true );
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'cart_checkout_blocks', PRINTGATE_WC_FILE, true );
		}
	}
);

add_action( 'plugins_loaded', array( 'Printgate_Plugin', 'boot' ) );
register_activation_hook( __FILE__, array( 'Printgate_Plugin', 'activate' ) );
register_deactivation_hook( __FILE__, array( 'Printgate_Plugin', 'deactivate' ) );
