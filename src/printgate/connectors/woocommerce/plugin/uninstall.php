<?php
/**
 * Uninstall: remove the plugin's settings, caches and scheduled work.
 *
 * Order and line-item meta (`_printgate_job_id`, sync state) stay: they are part of the shop's
 * order records and tell which print file belongs to which order.
 *
 * @package Printgate_For_WooCommerce
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

$printgate_options = array(
	'printgate_base_url',
	'printgate_publishable_key',
	'printgate_secret_key',
	'printgate_webhook_secret',
	'printgate_default_workflow',
	'printgate_presentation',
	'printgate_require_upload',
	'printgate_cart_button_selector',
);
foreach ( $printgate_options as $printgate_option ) {
	delete_option( $printgate_option );
}
delete_transient( 'printgate_workflows' );

wp_clear_scheduled_hook( 'printgate_sync_sweep' );
if ( function_exists( 'as_unschedule_all_actions' ) ) {
	as_unschedule_all_actions( '', array(), 'printgate' );
}

// Short-lived transients (job cache, replay marks, test results) expire by themselves; drop them now.
global $wpdb;
$wpdb->query( // phpcs:ignore WordPress.DB.DirectDatabaseQuery -- one-off cleanup on uninstall.
	$wpdb->prepare(
		"DELETE FROM {$wpdb->options} WHERE option_name LIKE %s OR option_name LIKE %s",
		$wpdb->esc_like( '_transient_printgate_' ) . '%',
		$wpdb->esc_like( '_transient_timeout_printgate_' ) . '%'
	)
);
