/**
 * Mounts the printgate upload widget on WooCommerce product pages.
 *
 * Each product form pushes its config into window.printgateMounts (see Printgate_Product::render_widget).
 * printgate.js attaches window.Printgate (with mount) when loaded; poll for it for up to 10 seconds.
 * The widget disables the Add to cart button until canProceed and writes the jobId into the hidden
 * field named by fieldName; the server checks the job again before it enters the cart.
 *
 * @package Printgate_For_WooCommerce
 */

( function () {
	'use strict';

	var mounts = window.printgateMounts || [];
	if ( ! mounts.length ) {
		return;
	}

	function showError( entry ) {
		var field = document.querySelector( entry.field );
		if ( ! field || ! field.parentNode ) {
			return;
		}
		var note = document.createElement( 'p' );
		note.className = 'printgate-error woocommerce-error';
		note.setAttribute( 'role', 'alert' );
		note.textContent = entry.message;
		field.parentNode.insertBefore( note, field );
	}

	function mountAll() {
		mounts.forEach(
			function ( entry ) {
				if ( entry.mounted ) {
					  return;
				}
				entry.mounted = true;
				try {
					window.Printgate.mount( entry.config );
				} catch ( err ) {
					showError( entry );
				}
			}
		);
	}

	var started = Date.now();
	( function tick() {
		if ( window.Printgate && typeof window.Printgate.mount === 'function' ) {
			mountAll();
			return;
		}
		if ( Date.now() - started < 10000 ) {
			window.setTimeout( tick, 50 );
			return;
		}
		mounts.forEach(
			function ( entry ) {
				if ( entry.required ) {
					  showError( entry );
				}
			}
		);
	} )();
} )();
