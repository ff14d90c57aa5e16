<?php

/**
 * printgate for OpenCart 3: settings page, install/uninstall (tables and events), and the admin
 * events (order page panel, product form fields) with the server-side file proxy.
 */

require_once DIR_SYSTEM . 'library/printgate/PrintgateOpencartAdmin.php';

class ControllerExtensionModulePrintgate extends Controller
{
    public const ROUTE = 'extension/module/printgate';

    private function bridge()
    {
        return new PrintgateOpencart($this->registry, self::ROUTE, '/');
    }

    private function token()
    {
        return 'user_token=' . $this->session->data['user_token'];
    }

    private function validToken()
    {
        return isset($this->request->get['user_token'], $this->session->data['user_token'])
            && hash_equals((string) $this->session->data['user_token'], (string) $this->request->get['user_token']);
    }

    public function index()
    {
        $this->load->language(self::ROUTE);
        $this->document->setTitle($this->language->get('heading_title'));
        $this->load->model('setting/setting');
        $errors = array();

        if ($this->request->server['REQUEST_METHOD'] == 'POST') {
            if (!$this->user->hasPermission('modify', self::ROUTE)) {
                $errors['warning'] = $this->language->get('error_permission');
            } else {
                $config = $this->config;
                list($settings, $fieldErrors) = PrintgateOpencartAdmin::settingsFromPost($this->request->post, function ($key) use ($config) {
                    return (string) $config->get(PrintgateOpencart::SETTING . '_' . $key);
                });
                foreach ($fieldErrors as $field => $key) {
                    $errors[$field] = $this->language->get($key);
                }
                if (!$errors) {
                    $this->model_setting_setting->editSetting(PrintgateOpencart::SETTING, $settings);
                    $this->session->data['success'] = $this->language->get('text_success');
                    $this->response->redirect($this->url->link(self::ROUTE, $this->token(), true));
                }
            }
        }

        $data = array();
        foreach (
            array('heading_title', 'text_edit', 'text_enabled', 'text_disabled', 'text_keep_secret', 'text_select_workflow',
            'text_no_workflows', 'text_callback', 'text_cron', 'entry_status', 'entry_url', 'entry_publishable_key', 'entry_secret_key',
            'entry_webhook_secret', 'entry_default_workflow', 'entry_all_products', 'entry_send_all_orders', 'help_url',
            'help_publishable_key', 'help_secret_key', 'help_webhook_secret', 'button_save', 'button_back', 'button_test') as $key
        ) {
            $data[$key] = $this->language->get($key);
        }
        $data['errors'] = $errors;
        $data['success'] = isset($this->session->data['success']) ? $this->session->data['success'] : '';
        unset($this->session->data['success']);
        $data['breadcrumbs'] = array(
            array('text' => $this->language->get('text_home'), 'href' => $this->url->link('common/dashboard', $this->token(), true)),
            array('text' => $this->language->get('text_extension'), 'href' => $this->url->link('marketplace/extension', $this->token() . '&type=module', true)),
            array('text' => $this->language->get('heading_title'), 'href' => $this->url->link(self::ROUTE, $this->token(), true)),
        );
        $data['action'] = $this->url->link(self::ROUTE, $this->token(), true);
        $data['test'] = $this->url->link(self::ROUTE . '/test', $this->token(), true);
        $data['cancel'] = $this->url->link('marketplace/extension', $this->token() . '&type=module', true);

        foreach (PrintgateOpencartAdmin::FIELDS as $field) {
            $name = PrintgateOpencart::SETTING . '_' . $field;
            $data[$name] = isset($this->request->post[$name]) ? $this->request->post[$name] : $this->config->get($name);
        }
        if ($data['module_printgate_url'] === null || $data['module_printgate_url'] === '') {
            $data['module_printgate_url'] = PrintgateApiClient::DEFAULT_BASE_URL;
        }
        // Secrets are never sent back to the browser; the form shows whether one is saved.
        $data['has_secret_key'] = (string) $this->config->get('module_printgate_secret_key') !== '';
        $data['has_webhook_secret'] = (string) $this->config->get('module_printgate_webhook_secret') !== '';
        $data['module_printgate_secret_key'] = '';
        $data['module_printgate_webhook_secret'] = '';

        $bridge = $this->bridge();
        $data['workflows'] = $bridge->workflowOptions();
        $data['default_workflow_known'] = in_array((string) $data['module_printgate_default_workflow'], array_column($data['workflows'], 'id'), true);
        $catalog = defined('HTTPS_CATALOG') ? HTTPS_CATALOG : HTTP_CATALOG;
        $data['callback_url'] = $catalog . 'index.php?route=' . self::ROUTE . '/callback';
        $data['cron_url'] = $catalog . 'index.php?route=' . self::ROUTE . '/cron&key=' . $bridge->cronKey();
        $data['queued'] = sprintf($this->language->get('text_queue'), PrintgateOpencartAdmin::queued($this->db));

        $data['header'] = $this->load->controller('common/header');
        $data['column_left'] = $this->load->controller('common/column_left');
        $data['footer'] = $this->load->controller('common/footer');
        $this->response->setOutput($this->load->view(self::ROUTE, $data));
    }

    /** AJAX: try the URL and secret key from the form (or the saved ones) against GET /workflows. */
    public function test()
    {
        $this->load->language(self::ROUTE);
        $json = array();
        if (!$this->validToken() || !$this->user->hasPermission('modify', self::ROUTE)) {
            $json = array('ok' => false, 'message' => $this->language->get('error_permission'), 'workflows' => array());
        } else {
            $override = array();
            foreach (array('url', 'secret_key') as $key) {
                $name = PrintgateOpencart::SETTING . '_' . $key;
                if (!empty($this->request->post[$name]) && is_string($this->request->post[$name])) {
                    $override[$key] = $this->request->post[$name];
                }
            }
            $json = $this->bridge()->client($override)->testConnection();
        }
        $this->response->addHeader('Content-Type: application/json');
        $this->response->setOutput(json_encode($json));
    }

    public function install()
    {
        $this->bridge()->install();
        $this->load->model('setting/event');
        foreach (PrintgateOpencartAdmin::events('addOrderHistory', 'checkout/cart/add') as $code => $event) {
            $this->model_setting_event->deleteEventByCode($code);
            $this->model_setting_event->addEvent($code, $event[0], self::ROUTE . '/' . $event[1]);
        }
    }

    public function uninstall()
    {
        $this->load->model('setting/event');
        foreach (array_keys(PrintgateOpencartAdmin::events('addOrderHistory', 'checkout/cart/add')) as $code) {
            $this->model_setting_event->deleteEventByCode($code);
        }
        $this->load->model('setting/setting');
        $this->model_setting_setting->deleteSetting(PrintgateOpencart::SETTING);
        $this->bridge()->uninstall();
    }

    // ---- events ------------------------------------------------------------------------------

    /**
     * admin/view/sale/order_info/before: the print files panel, as a tab of the order page's
     * history card, through the `tabs` view data the order page renders for extensions.
     */
    public function orderInfo(&$route, &$data, &$code = '')
    {
        $orderId = isset($this->request->get['order_id']) ? (int) $this->request->get['order_id'] : 0;
        if (!$orderId || !$this->user->hasPermission('access', 'sale/order')) {
            return;
        }
        $this->load->language(self::ROUTE);
        $url = $this->url;
        $token = $this->token();
        $link = function ($method, array $params) use ($url, $token) {
            return html_entity_decode($url->link(self::ROUTE . '/' . $method, $token . '&' . http_build_query($params), true), ENT_QUOTES, 'UTF-8');
        };
        $labels = PrintgateOpencartAdmin::panelLabels(array($this->language, 'get'));
        $html = $this->bridge()->orderPanelHtml($orderId, $link, $labels);
        if ($html !== '') {
            $data['tabs'] = isset($data['tabs']) && is_array($data['tabs']) ? $data['tabs'] : array();
            $data['tabs'][] = array('code' => 'printgate', 'title' => $labels['title'], 'content' => $html);
        }
    }

    /** admin/view/catalog/product_form/after: workflow and "require upload" fields. */
    public function productForm(&$route, &$data, &$output)
    {
        if (!$this->user->hasPermission('modify', self::ROUTE)) {
            return;
        }
        $this->load->language(self::ROUTE);
        $productId = isset($this->request->get['product_id']) ? (int) $this->request->get['product_id'] : 0;
        $html = $this->bridge()->productFieldsHtml($productId, PrintgateOpencartAdmin::productLabels(array($this->language, 'get')));
        $output = PrintgateOpencart::injectIntoForm($output, 'form-product', $html);
    }

    public function productAdd(&$route, &$args, &$output)
    {
        $this->saveProduct((int) $output);
    }

    public function productEdit(&$route, &$args, &$output)
    {
        $this->saveProduct((int) $args[0]);
    }

    public function productDelete(&$route, &$args, &$output)
    {
        $this->bridge()->deleteProduct((int) $args[0]);
    }

    private function saveProduct($productId)
    {
        if ($productId && isset($this->request->post['printgate_workflow_id']) && $this->user->hasPermission('modify', self::ROUTE)) {
            $this->bridge()->saveProduct($productId, (string) $this->request->post['printgate_workflow_id'], !empty($this->request->post['printgate_required']));
        }
    }

    // ---- file proxy ------------------------------------------------------------------------------

    public function download()
    {
        $this->proxy(null);
    }

    public function proof()
    {
        $this->proxy(isset($this->request->get['index']) ? (int) $this->request->get['index'] : 0);
    }

    public function thumbnail()
    {
        $this->proxy('thumbnail'); // PrintgateFilesView::THUMBNAIL
    }

    private function proxy($proofIndex)
    {
        $this->load->language(self::ROUTE);
        if (!$this->validToken() || !$this->user->hasPermission('access', 'sale/order')) {
            $this->response->addHeader('HTTP/1.1 403 Forbidden');
            $this->response->setOutput($this->language->get('error_permission'));

            return;
        }
        $get = $this->request->get;
        $ok = $this->bridge()->proxy(
            isset($get['order_id']) ? (int) $get['order_id'] : 0,
            isset($get['job_id']) ? (string) $get['job_id'] : '',
            isset($get['run_id']) ? (string) $get['run_id'] : '',
            $proofIndex
        );
        if ($ok) {
            exit;
        }
        $this->response->addHeader('HTTP/1.1 404 Not Found');
        $this->response->setOutput($this->language->get('error_not_found'));
    }
}
