<?php

/**
 * printgate for PrestaShop 1.7.7+, 8 and 9: checks customers' print files on the product page,
 * gates add to cart on the check, sends signed orders to printgate and shows the print-ready files
 * on the admin order page.
 */

if (!defined('_PS_VERSION_')) {
    exit;
}

require_once __DIR__ . '/classes/PrintgatePrestashop.php';

class Printgate extends Module
{
    public const HOOKS = array(
        'displayProductAdditionalInfo',
        'actionFrontControllerSetMedia',
        'actionDispatcherBefore',
        'actionCartUpdateQuantityBefore',
        'actionValidateOrder',
        'actionOrderStatusPostUpdate',
        'displayAdminOrderMain',
        'displayAdminProductsExtra',
        'actionProductDelete',
    );

    /** Order calls already made in this request: "orderId:status" => true. */
    private static $sent = array();

    /** @var PrintgatePrestashop|null */
    private $bridge;

    public function __construct()
    {
        $this->name = 'printgate';
        $this->tab = 'front_office_features';
        $this->version = '1.0.0';
        $this->author = 'printgate';
        $this->need_instance = 0;
        $this->bootstrap = true;
        $this->ps_versions_compliancy = array('min' => '1.7.7.0', 'max' => '9.99.99');
        // A hidden admin controller for the file downloads and the product setting.
        $this->tabs = array(array(
            'class_name' => 'AdminPrintgateFiles',
            'visible' => false,
            'name' => 'printgate files',
            'parent_class_name' => 'AdminParentOrders',
        ));

        parent::__construct();

        $this->displayName = $this->trans('printgate print-file check', array(), 'Modules.Printgate.Admin');
        $this->description = $this->trans('Customers upload artwork on the product page; printgate checks it before add to cart and delivers print-ready files to the order.', array(), 'Modules.Printgate.Admin');
        $this->confirmUninstall = $this->trans('Remove printgate and its tables (the jobIds of past orders are deleted)?', array(), 'Modules.Printgate.Admin');
    }

    public function isUsingNewTranslationSystem()
    {
        return true;
    }

    public function bridge()
    {
        if ($this->bridge === null) {
            $this->bridge = new PrintgatePrestashop();
        }

        return $this->bridge;
    }

    public function install()
    {
        return parent::install()
            && PrintgatePrestashop::install()
            && $this->registerHook(self::HOOKS)
            && Configuration::updateValue('PRINTGATE_URL', PrintgateApiClient::DEFAULT_BASE_URL);
    }

    public function uninstall()
    {
        return PrintgatePrestashop::uninstall() && parent::uninstall();
    }

    // ---- configuration page ----------------------------------------------------------------------

    public function getContent()
    {
        $output = '';
        if (Tools::isSubmit('submitPrintgate') || Tools::isSubmit('submitPrintgateTest')) {
            $errors = $this->saveSettings();
            foreach ($errors as $error) {
                $output .= $this->displayError($error);
            }
            if (!$errors && Tools::isSubmit('submitPrintgate')) {
                $output .= $this->displayConfirmation($this->trans('Settings updated.', array(), 'Admin.Notifications.Success'));
            }
            if (!$errors && Tools::isSubmit('submitPrintgateTest')) {
                $result = $this->bridge()->client()->testConnection();
                $output .= $result['ok'] ? $this->displayConfirmation($result['message']) : $this->displayError($result['message']);
            }
        }

        return $output . $this->renderForm();
    }

    /** @return string[] errors; secrets left empty keep their saved value */
    private function saveSettings()
    {
        $errors = array();
        $url = rtrim(trim((string) Tools::getValue('PRINTGATE_URL')), '/');
        $pk = trim((string) Tools::getValue('PRINTGATE_PUBLISHABLE_KEY'));
        $sk = trim((string) Tools::getValue('PRINTGATE_SECRET_KEY'));
        $whsec = trim((string) Tools::getValue('PRINTGATE_WEBHOOK_SECRET'));
        $workflow = trim((string) Tools::getValue('PRINTGATE_DEFAULT_WORKFLOW'));
        if (!preg_match('#^https?://[^\s/]+#i', $url)) {
            $errors[] = $this->trans('Enter the printgate URL (http:// or https://).', array(), 'Modules.Printgate.Admin');
        }
        if ($pk !== '' && strpos($pk, 'pk_') !== 0) {
            $errors[] = $this->trans('The publishable key starts with pk_.', array(), 'Modules.Printgate.Admin');
        }
        if ($sk !== '' && strpos($sk, 'sk_') !== 0) {
            $errors[] = $this->trans('The secret key starts with sk_.', array(), 'Modules.Printgate.Admin');
        }
        if ($whsec !== '') {
            try {
                new PrintgateSigner($whsec);
                $valid = strpos($whsec, 'whsec_') === 0;
            } catch (PrintgateSignatureException $e) {
                $valid = false;
            }
            if (!$valid) {
                $errors[] = $this->trans('The signing secret starts with whsec_.', array(), 'Modules.Printgate.Admin');
            }
        }
        if ($workflow !== '' && !preg_match(PrintgatePrestashop::JOB_ID_PATTERN, $workflow)) {
            $errors[] = $this->trans('Choose a workflow from the list.', array(), 'Modules.Printgate.Admin');
        }
        if ($errors) {
            return $errors;
        }
        Configuration::updateValue('PRINTGATE_URL', $url);
        Configuration::updateValue('PRINTGATE_PUBLISHABLE_KEY', $pk);
        if ($sk !== '') {
            Configuration::updateValue('PRINTGATE_SECRET_KEY', $sk);
        }
        if ($whsec !== '') {
            Configuration::updateValue('PRINTGATE_WEBHOOK_SECRET', $whsec);
        }
        Configuration::updateValue('PRINTGATE_DEFAULT_WORKFLOW', $workflow);
        Configuration::updateValue('PRINTGATE_ALL_PRODUCTS', (int) (bool) Tools::getValue('PRINTGATE_ALL_PRODUCTS'));
        Configuration::updateValue('PRINTGATE_SEND_ALL_ORDERS', (int) (bool) Tools::getValue('PRINTGATE_SEND_ALL_ORDERS'));

        return array();
    }

    private function renderForm()
    {
        $bridge = $this->bridge();
        $workflows = array(array('id' => '', 'name' => $this->trans('-- choose a workflow --', array(), 'Modules.Printgate.Admin')));
        $known = false;
        foreach ($bridge->workflowOptions() as $workflow) {
            $workflows[] = $workflow;
            $known = $known || $workflow['id'] === $bridge->setting('default_workflow');
        }
        if (!$known && $bridge->setting('default_workflow') !== '') {
            $workflows[] = array('id' => $bridge->setting('default_workflow'), 'name' => $bridge->setting('default_workflow'));
        }
        $keep = $this->trans('Saved (leave empty to keep)', array(), 'Modules.Printgate.Admin');
        $link = $this->context->link;
        $callback = $link->getModuleLink($this->name, 'callback', array(), true);
        $cron = $link->getModuleLink($this->name, 'cron', array('key' => $bridge->cronKey()), true);
        $switch = array(
            array('id' => 'on', 'value' => 1, 'label' => $this->trans('Yes', array(), 'Admin.Global')),
            array('id' => 'off', 'value' => 0, 'label' => $this->trans('No', array(), 'Admin.Global')),
        );

        $form = array('form' => array(
            'legend' => array('title' => $this->trans('printgate settings', array(), 'Modules.Printgate.Admin'), 'icon' => 'icon-cogs'),
            'input' => array(
                array('type' => 'text', 'name' => 'PRINTGATE_URL', 'required' => true,
                    'label' => $this->trans('printgate URL', array(), 'Modules.Printgate.Admin'),
                    'desc' => $this->trans('Base URL of your printgate server, for example https://print.example.com', array(), 'Modules.Printgate.Admin')),
                array('type' => 'text', 'name' => 'PRINTGATE_PUBLISHABLE_KEY',
                    'label' => $this->trans('Publishable key (pk_...)', array(), 'Modules.Printgate.Admin'),
                    'desc' => $this->trans('The only key that goes to the browser.', array(), 'Modules.Printgate.Admin')),
                array('type' => 'password', 'name' => 'PRINTGATE_SECRET_KEY',
                    'label' => $this->trans('Secret key (sk_...)', array(), 'Modules.Printgate.Admin'),
                    'desc' => ($bridge->setting('secret_key') !== '' ? $keep . '. ' : '') . $this->trans('Stays on this server.', array(), 'Modules.Printgate.Admin')),
                array('type' => 'password', 'name' => 'PRINTGATE_WEBHOOK_SECRET',
                    'label' => $this->trans('Signing secret (whsec_...)', array(), 'Modules.Printgate.Admin'),
                    'desc' => ($bridge->setting('webhook_secret') !== '' ? $keep . '. ' : '') . $this->trans('Signs the order calls to printgate and verifies its callbacks.', array(), 'Modules.Printgate.Admin')),
                array('type' => 'select', 'name' => 'PRINTGATE_DEFAULT_WORKFLOW',
                    'label' => $this->trans('Default workflow', array(), 'Modules.Printgate.Admin'),
                    'options' => array('query' => $workflows, 'id' => 'id', 'name' => 'name'),
                    'desc' => count($workflows) > 1 ? '' : $this->trans('Save the URL and secret key to load the workflows.', array(), 'Modules.Printgate.Admin')),
                array('type' => 'switch', 'name' => 'PRINTGATE_ALL_PRODUCTS', 'is_bool' => true, 'values' => $switch,
                    'label' => $this->trans('Require a checked file on every product', array(), 'Modules.Printgate.Admin'),
                    'desc' => $this->trans('Otherwise only on products where a workflow is chosen (Modules tab of the product).', array(), 'Modules.Printgate.Admin')),
                array('type' => 'switch', 'name' => 'PRINTGATE_SEND_ALL_ORDERS', 'is_bool' => true, 'values' => $switch,
                    'label' => $this->trans('Send orders without printgate files too', array(), 'Modules.Printgate.Admin')),
                array('type' => 'html', 'name' => 'PRINTGATE_URLS',
                    'label' => $this->trans('Callback and cron', array(), 'Modules.Printgate.Admin'),
                    'html_content' => '<p><code>' . htmlspecialchars($callback, ENT_QUOTES, 'UTF-8') . '</code></p><p><code>'
                        . htmlspecialchars($cron, ENT_QUOTES, 'UTF-8') . '</code></p>'),
            ),
            'submit' => array('title' => $this->trans('Save', array(), 'Admin.Actions'), 'name' => 'submitPrintgate'),
            'buttons' => array(array(
                'type' => 'submit', 'name' => 'submitPrintgateTest', 'icon' => 'process-icon-refresh', 'class' => 'pull-right',
                'title' => $this->trans('Test connection', array(), 'Modules.Printgate.Admin'),
            )),
        ));

        $helper = new HelperForm();
        $helper->module = $this;
        $helper->name_controller = $this->name;
        $helper->table = $this->table;
        $helper->identifier = $this->identifier;
        $helper->token = Tools::getAdminTokenLite('AdminModules');
        $helper->currentIndex = AdminController::$currentIndex . '&configure=' . $this->name;
        $helper->default_form_language = (int) $this->context->language->id;
        $helper->submit_action = 'submitPrintgate';
        $helper->fields_value = array(
            'PRINTGATE_URL' => Tools::getValue('PRINTGATE_URL', $bridge->baseUrl()),
            'PRINTGATE_PUBLISHABLE_KEY' => Tools::getValue('PRINTGATE_PUBLISHABLE_KEY', $bridge->setting('publishable_key')),
            'PRINTGATE_SECRET_KEY' => '',
            'PRINTGATE_WEBHOOK_SECRET' => '',
            'PRINTGATE_DEFAULT_WORKFLOW' => Tools::getValue('PRINTGATE_DEFAULT_WORKFLOW', $bridge->setting('default_workflow')),
            'PRINTGATE_ALL_PRODUCTS' => (int) $bridge->setting('all_products', 0),
            'PRINTGATE_SEND_ALL_ORDERS' => (int) $bridge->setting('send_all_orders', 0),
            'PRINTGATE_URLS' => '',
        );

        return $helper->generateForm(array($form));
    }

    // ---- storefront ------------------------------------------------------------------------------

    private function productIdOf(array $params)
    {
        if (isset($params['product'])) {
            $product = $params['product'];
            if (is_object($product) && isset($product->id)) {
                return (int) $product->id;
            }
            if (is_array($product) || $product instanceof ArrayAccess) {
                return (int) (isset($product['id_product']) ? $product['id_product'] : (isset($product['id']) ? $product['id'] : 0));
            }
        }

        return (int) Tools::getValue('id_product');
    }

    /** Loads the widget and the module's glue script on product pages that need them. */
    public function hookActionFrontControllerSetMedia($params)
    {
        if ($this->context->controller->php_self !== 'product') {
            return;
        }
        $productId = (int) Tools::getValue('id_product');
        $setup = $this->bridge()->productSetup($productId);
        if ($setup === null) {
            return;
        }
        $base = $this->bridge()->baseUrl();
        $this->context->controller->registerStylesheet('printgate-widget', $base . '/widget/v1/printgate.css', array('server' => 'remote', 'media' => 'all'));
        $this->context->controller->registerJavascript('printgate-widget', $base . '/widget/v1/printgate.js', array('server' => 'remote', 'position' => 'bottom', 'priority' => 150, 'attributes' => 'async'));
        $this->context->controller->registerJavascript('printgate-front', 'modules/' . $this->name . '/views/js/front.js', array('position' => 'bottom', 'priority' => 160));
        Media::addJsDef(array('printgateConfig' => array(
            'mount' => array(
                'publishableKey' => (string) $this->bridge()->setting('publishable_key'),
                'workflowId' => $setup['workflow_id'],
                'apiBase' => $base,
                'mountSelector' => '#printgate-widget',
                'cartButtonSelector' => '[data-button-action="add-to-cart"]',
                'fieldName' => 'printgate_job_id',
            ),
            'productId' => $productId,
            'required' => $setup['required'],
            'saveUrl' => $this->context->link->getModuleLink($this->name, 'savejob', array(), true),
            'token' => Tools::getToken(false),
            'messages' => array(
                'unavailable' => $this->trans('The file check could not be loaded. Please reload the page.', array(), 'Modules.Printgate.Shop'),
            ),
        )));
    }

    /** The mount point and the hidden jobId field, inside the add-to-cart form. */
    public function hookDisplayProductAdditionalInfo($params)
    {
        $productId = $this->productIdOf($params);
        if ($this->bridge()->productSetup($productId) === null) {
            return '';
        }
        $this->context->smarty->assign(array('printgate_product_id' => $productId));

        return $this->display(__FILE__, 'views/templates/hook/product_widget.tpl');
    }

    /** Server-side gate: refuse add to cart of a product that needs a checked file and has none. */
    public function hookActionDispatcherBefore($params)
    {
        if (
            !isset($params['controller_type']) || (int) $params['controller_type'] !== (int) Dispatcher::FC_FRONT
            || Dispatcher::getInstance()->getController() !== 'cart' || !Tools::getValue('add')
        ) {
            return;
        }
        $productId = (int) Tools::getValue('id_product');
        $jobId = PrintgatePrestashop::incomingJob($this->context, $productId);
        $reason = $this->bridge()->refusal($productId, $jobId);
        if ($reason === null) {
            return;
        }
        $message = $reason === 'required'
            ? $this->trans('Please upload your print file and wait until it has been checked.', array(), 'Modules.Printgate.Shop')
            : $this->trans('Your print file has not passed the check yet.', array(), 'Modules.Printgate.Shop');
        $xhr = isset($_SERVER['HTTP_X_REQUESTED_WITH']) && strtolower($_SERVER['HTTP_X_REQUESTED_WITH']) === 'xmlhttprequest';
        if (Tools::getValue('ajax') || $xhr) {
            header('Content-Type: application/json');
            exit(json_encode(array('hasError' => true, 'errors' => array($message), 'quantity' => 0)));
        }
        Tools::redirect($this->context->link->getProductLink($productId));
    }

    /** Keep the jobId with the cart line it was added with. */
    public function hookActionCartUpdateQuantityBefore($params)
    {
        if (!isset($params['cart'], $params['product']) || (isset($params['operator']) && $params['operator'] !== 'up')) {
            return;
        }
        $productId = (int) $params['product']->id;
        if ($this->bridge()->productSetup($productId) === null) {
            return;
        }
        $jobId = PrintgatePrestashop::incomingJob($this->context, $productId);
        if ($jobId !== '' && (int) $params['cart']->id) {
            $this->bridge()->rememberCartLine(
                (int) $params['cart']->id,
                $productId,
                isset($params['id_product_attribute']) ? (int) $params['id_product_attribute'] : 0,
                isset($params['id_customization']) ? (int) $params['id_customization'] : 0,
                $jobId
            );
        }
    }

    // ---- orders ----------------------------------------------------------------------------------

    private static function stateName($state)
    {
        if (!is_object($state)) {
            return 'pending';
        }
        $name = $state->name;
        if (is_array($name)) {
            $lang = (int) Context::getContext()->language->id;
            $name = isset($name[$lang]) ? $name[$lang] : reset($name);
        }

        return (string) $name;
    }

    private function send(Order $order, $statusName)
    {
        $key = (int) $order->id . ':' . $statusName;
        if (isset(self::$sent[$key])) {
            return;
        }
        self::$sent[$key] = true;
        $this->bridge()->sendOrder($order, $statusName);
    }

    public function hookActionValidateOrder($params)
    {
        if (!isset($params['order']) || !Validate::isLoadedObject($params['order'])) {
            return;
        }
        $this->bridge()->mapOrder($params['order']);
        $this->send($params['order'], self::stateName(isset($params['orderStatus']) ? $params['orderStatus'] : null));
    }

    public function hookActionOrderStatusPostUpdate($params)
    {
        $order = new Order((int) $params['id_order']);
        if (!Validate::isLoadedObject($order)) {
            return;
        }
        if (!$this->bridge()->orderJobs($order->id)) {
            $this->bridge()->mapOrder($order);
        }
        $this->send($order, self::stateName(isset($params['newOrderStatus']) ? $params['newOrderStatus'] : null));
    }

    // ---- admin -----------------------------------------------------------------------------------

    public function adminFilesLink($action, array $params)
    {
        return $this->context->link->getAdminLink('AdminPrintgateFiles', true, array(), array_merge(array('action' => $action), $params));
    }

    /** Admin order page (1.7.7+, 8, 9): each line's files, proofs and download buttons. */
    public function hookDisplayAdminOrderMain($params)
    {
        $orderId = (int) $params['id_order'];
        $lines = $this->bridge()->orderFiles($orderId);
        if (!$lines) {
            return '';
        }
        $names = array();
        foreach ((new Order($orderId))->getOrderDetailList() as $detail) {
            $names[(int) $detail['id_order_detail']] = $detail['product_name'];
        }
        $view = array();
        foreach ($lines as $line) {
            $job = $line['job'];
            $runs = array();
            if ($job) {
                foreach ($job['runs'] as $run) {
                    $proofs = array();
                    foreach (array_keys($run['proofs']) as $index) {
                        $proofs[] = $this->adminFilesLink('proof', array('id_order' => $orderId, 'job_id' => $job['jobId'], 'run_id' => $run['id'], 'index' => $index));
                    }
                    $runs[] = array(
                        'name' => $run['name'],
                        'outcome' => $run['outcome'],
                        'proofs' => $proofs,
                        'thumbnail' => $run['thumbnail'] !== '' ? $this->adminFilesLink('thumbnail', array('id_order' => $orderId, 'job_id' => $job['jobId'], 'run_id' => $run['id'])) : '',
                        'download' => $run['hasOutput'] ? $this->adminFilesLink('download', array('id_order' => $orderId, 'job_id' => $job['jobId'], 'run_id' => $run['id'])) : '',
                    );
                }
            }
            $detailId = (int) $line['row']['id_order_detail'];
            $view[] = array(
                'product' => isset($names[$detailId]) ? $names[$detailId] : '#' . $detailId,
                'job_id' => $line['row']['job_id'],
                'status' => $job ? trim($job['status'] . ($job['outcome'] !== '' ? ' / ' . $job['outcome'] : '')) : $line['row']['status'],
                'runs' => $runs,
                'known' => $job !== null,
                'live' => $line['live'],
            );
        }
        $this->context->smarty->assign(array('printgate_lines' => $view));

        return $this->display(__FILE__, 'views/templates/hook/admin_order.tpl');
    }

    /** Product page, Modules tab: the product's workflow and "require upload", saved by AJAX. */
    public function hookDisplayAdminProductsExtra($params)
    {
        $productId = isset($params['id_product']) ? (int) $params['id_product'] : (int) Tools::getValue('id_product');
        $row = $this->bridge()->productRow($productId);
        $this->context->smarty->assign(array(
            'printgate_product_id' => $productId,
            'printgate_workflow_id' => $row['workflow_id'],
            'printgate_required' => (bool) $row['required'],
            'printgate_workflows' => $this->bridge()->workflowOptions(),
            'printgate_save_url' => $this->adminFilesLink('saveProduct', array('id_product' => $productId)),
        ));

        return $this->display(__FILE__, 'views/templates/admin/product_tab.tpl');
    }

    public function hookActionProductDelete($params)
    {
        $productId = isset($params['id_product']) ? (int) $params['id_product'] : 0;
        if ($productId) {
            $this->bridge()->deleteProduct($productId);
        }
    }
}
