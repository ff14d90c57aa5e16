<?php

/**
 * AJAX from the product page: remember the validated jobId for the product until it is added to
 * the cart. Protected by the shop's static token (Tools::getToken(false)).
 */

if (!defined('_PS_VERSION_')) {
    exit;
}

class PrintgateSavejobModuleFrontController extends ModuleFrontController
{
    public $auth = false;
    public $guestAllowed = true;
    public $ajax = true;

    public function postProcess()
    {
        header('Content-Type: application/json');
        $token = (string) Tools::getValue('token');
        if (!isset($_SERVER['REQUEST_METHOD']) || $_SERVER['REQUEST_METHOD'] !== 'POST' || !hash_equals(Tools::getToken(false), $token)) {
            http_response_code(403);
            exit(json_encode(array('error' => 'invalid token')));
        }
        if (!PrintgatePrestashop::saveJob($this->context, (int) Tools::getValue('product_id'), (string) Tools::getValue('job_id'))) {
            http_response_code(400);
            exit(json_encode(array('error' => 'invalid product or job')));
        }
        exit(json_encode(array('success' => true)));
    }
}
