<?php

// printgate module, admin (OpenCart 3 and 4)
$_['heading_title']        = 'printgate';

$_['text_extension']       = 'Extensions';
$_['text_success']         = 'Success: you have saved the printgate settings.';
$_['text_edit']            = 'Edit printgate';
$_['text_enabled']         = 'Enabled';
$_['text_disabled']        = 'Disabled';
$_['text_keep_secret']     = 'Saved (leave empty to keep)';
$_['text_select_workflow'] = '-- choose a workflow --';
$_['text_no_workflows']    = 'Save the URL and secret key to load the workflows.';
$_['text_callback']        = 'Callback URL to enter in printgate';
$_['text_cron']            = 'Retry queued order calls from cron';
$_['text_queue']           = 'Order calls waiting for printgate: %s';

$_['entry_status']         = 'Status';
$_['entry_url']            = 'printgate URL';
$_['entry_publishable_key'] = 'Publishable key (pk_...)';
$_['entry_secret_key']     = 'Secret key (sk_...)';
$_['entry_webhook_secret'] = 'Signing secret (whsec_...)';
$_['entry_default_workflow'] = 'Default workflow';
$_['entry_all_products']   = 'Require a checked file on every product unless a product says otherwise';
$_['entry_send_all_orders'] = 'Send orders without printgate files too';

$_['help_url']             = 'Base URL of your printgate server, for example https://print.example.com';
$_['help_publishable_key'] = 'The only key that goes to the browser.';
$_['help_secret_key']      = 'Stays on this server: used for the workflow list, file downloads and order calls.';
$_['help_webhook_secret']  = 'Signs the order calls to printgate and verifies printgate\'s callbacks.';

$_['button_save']          = 'Save';
$_['button_back']          = 'Back';
$_['button_test']          = 'Test connection';

$_['error_permission']     = 'Warning: you do not have permission to modify printgate.';
$_['error_url']            = 'Enter the printgate URL (http:// or https://).';
$_['error_publishable_key'] = 'The publishable key starts with pk_.';
$_['error_secret_key']     = 'The secret key starts with sk_.';
$_['error_webhook_secret'] = 'The signing secret starts with whsec_.';
$_['error_not_found']      = 'This file does not belong to the order or printgate refused it.';

// product form
$_['text_product_legend']  = 'printgate print file';
$_['text_product_inherit'] = 'Store default';
$_['text_product_off']     = 'Off for this product';
$_['entry_product_workflow'] = 'Workflow';
$_['entry_product_required'] = 'Require a checked file before add to cart';

// order page
$_['text_panel_title']     = 'printgate print files';
$_['column_product']       = 'Product';
$_['column_job']           = 'Job';
$_['column_status']        = 'Status';
$_['column_files']         = 'Files';
$_['text_proof']           = 'Proof';
$_['text_thumbnail']       = 'Thumbnail';
$_['button_download']      = 'Download';
$_['text_offline']         = 'printgate is not reachable: showing the files as last reported.';
$_['text_files_pending']   = 'Files are not ready yet.';
