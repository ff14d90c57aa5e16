<?php

/** Cron: retries queued order calls. index.php?fc=module&module=printgate&controller=cron&key=... */

if (!defined('_PS_VERSION_')) {
    exit;
}

class PrintgateCronModuleFrontController extends ModuleFrontController
{
    public $auth = false;
    public $guestAllowed = true;
    public $ajax = true;

    public function postProcess()
    {
        header('Content-Type: application/json');
        $bridge = $this->module->bridge();
        if ($bridge->setting('webhook_secret') === '' || !hash_equals($bridge->cronKey(), (string) Tools::getValue('key'))) {
            http_response_code(403);
            exit(json_encode(array('error' => 'bad key')));
        }
        exit(json_encode($bridge->flushQueue()));
    }
}
