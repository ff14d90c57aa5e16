<?php

/**
 * Load printgate's platform-free store classes (signing, API client, order body, queue, callback),
 * one class per file, each after what it extends or implements.
 */

foreach (
    array(
        'SignatureException', 'Signer',
        'TransportException', 'Response', 'Transport', 'Http',
        'ApiException', 'ApiClient',
        'OrderBody',
        'QueueStore', 'MemoryQueueStore', 'Db', 'SqlQueueStore', 'OrderQueue',
        'CallbackException', 'ReplayStore', 'MemoryReplayStore', 'SqlReplayStore', 'Callback',
        'FilesView',
    ) as $printgateLibFile
) {
    require_once __DIR__ . '/' . $printgateLibFile . '.php';
}
unset($printgateLibFile);
