<?php

/**
 * printgate -> shop: index.php?fc=module&module=printgate&controller=callback
 * Standard Webhooks signed (5-minute tolerance, replayed webhook-id refused); records the files
 * of each order line and adds a private order message.
 */

if (!defined('_PS_VERSION_')) {
    exit;
}

class PrintgateCallbackModuleFrontController extends ModuleFrontController
{
    public $auth = false;
    public $guestAllowed = true;
    public $ajax = true;

    public function postProcess()
    {
        if (!isset($_SERVER['REQUEST_METHOD']) || $_SERVER['REQUEST_METHOD'] !== 'POST') {
            $this->respond(405, array('error' => 'POST only'));
        }
        $result = $this->module->bridge()->callback($_SERVER, (string) file_get_contents('php://input'), function (Order $order, array $names) {
            PrintgatePrestashop::addOrderMessage($order, Context::getContext()->getTranslator()->trans(
                'printgate: print-ready files are available (%files%).',
                array('%files%' => implode(', ', $names)),
                'Modules.Printgate.Admin'
            ));
        });
        $this->respond($result['status'], $result['body']);
    }

    private function respond($status, array $body)
    {
        http_response_code((int) $status);
        header('Content-Type: application/json');
        exit(json_encode($body));
    }
}
