<?php

/**
 * Hidden admin controller (tab AdminPrintgateFiles): streams an order's print files, thumbnails and proofs
 * through the shop with the secret key, and saves a product's printgate setting. The admin token
 * is checked by AdminController before any action runs.
 */

if (!defined('_PS_VERSION_')) {
    exit;
}

class AdminPrintgateFilesController extends ModuleAdminController
{
    public function __construct()
    {
        $this->bootstrap = true;
        parent::__construct();
    }

    public function postProcess()
    {
        $action = (string) Tools::getValue('action');
        if ($action === 'download' || $action === 'proof' || $action === 'thumbnail') {
            $this->proxy($action);
        }
        if ($action === 'saveProduct') {
            $this->saveProduct();
        }

        return parent::postProcess();
    }

    /** @param string $action download, proof (by index) or thumbnail */
    private function proxy($action)
    {
        if (!$this->access('view')) {
            $this->fail(403, $this->trans('Access denied.', array(), 'Admin.Notifications.Error'));
        }
        $ok = $this->module->bridge()->proxy(
            (int) Tools::getValue('id_order'),
            (string) Tools::getValue('job_id'),
            (string) Tools::getValue('run_id'),
            $action === 'proof' ? (int) Tools::getValue('index') : ($action === 'thumbnail' ? 'thumbnail' : null)
        );
        if (!$ok) {
            $this->fail(404, $this->trans('This file does not belong to the order or printgate refused it.', array(), 'Modules.Printgate.Admin'));
        }
        exit;
    }

    private function saveProduct()
    {
        if (!$this->access('edit')) {
            $this->fail(403, $this->trans('Access denied.', array(), 'Admin.Notifications.Error'));
        }
        $ok = $this->module->bridge()->saveProduct(
            (int) Tools::getValue('id_product'),
            (string) Tools::getValue('printgate_workflow_id'),
            (bool) Tools::getValue('printgate_required')
        );
        header('Content-Type: application/json');
        exit(json_encode(array(
            'success' => (bool) $ok,
            'message' => $ok
                ? $this->trans('Settings updated.', array(), 'Admin.Notifications.Success')
                : $this->trans('Choose a workflow from the list.', array(), 'Modules.Printgate.Admin'),
        )));
    }

    private function fail($status, $message)
    {
        http_response_code($status);
        header('Content-Type: text/plain; charset=utf-8');
        exit($message);
    }
}
