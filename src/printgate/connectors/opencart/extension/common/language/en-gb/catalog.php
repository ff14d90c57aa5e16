<?php

// printgate module, storefront (OpenCart 3 and 4)
$_['error_required']       = 'Please upload your print file and wait until it has been checked.';
$_['error_not_ready']      = 'Your print file has not passed the check yet.';
$_['text_unavailable']     = 'The file check could not be loaded. Please reload the page.';
$_['text_files_ready']     = 'printgate: print-ready files are available (%s).';
