<?php
/** Load printgate's platform-free store classes (signing, API client, order body, queue, callback). */
foreach (array('Signer', 'Http', 'ApiClient', 'OrderBody', 'OrderQueue', 'Callback', 'FilesView') as $printgateLibFile) {
    require_once __DIR__ . '/' . $printgateLibFile . '.php';
}
unset($printgateLibFile);
