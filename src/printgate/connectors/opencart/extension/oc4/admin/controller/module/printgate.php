<?php

/**
 * printgate for OpenCart 4 (4.0.2+; 4.0.0/4.0.1 route separators handled): settings page with AJAX
 * save, install/uninstall (tables and events), admin events (order panel, product fields) and the
 * server-side file proxy. The extension must be installed under the code "printgate".
 */

namespace Opencart\Admin\Controller\Extension\Printgate\Module;

require_once __DIR__ . '/../../../system/library/printgate/PrintgateOpencartAdmin.php';

class Printgate extends \Opencart\System\Engine\Controller
{
    public const ROUTE = 'extension/printgate/module/printgate';

    private function sep(): string
    {
        return version_compare(VERSION, '4.0.2.0', '>=') ? '.' : '|';
    }

    private function bridge(): \PrintgateOpencart
    {
        return new \PrintgateOpencart($this->registry, self::ROUTE, $this->sep());
    }

    private function token(): string
    {
        return 'user_token=' . $this->session->data['user_token'];
    }

    private function validToken(): bool
    {
        return isset($this->request->get['user_token'], $this->session->data['user_token'])
            && hash_equals((string) $this->session->data['user_token'], (string) $this->request->get['user_token']);
    }

    private function link(string $route, string $args = ''): string
    {
        return html_entity_decode($this->url->link($route, $this->token() . ($args !== '' ? '&' . $args : '')), ENT_QUOTES, 'UTF-8');
    }

    public function index(): void
    {
        $this->load->language(self::ROUTE);
        $this->document->setTitle($this->language->get('heading_title'));

        $data = [];
        $data['breadcrumbs'] = [
            ['text' => $this->language->get('text_home'), 'href' => $this->link('common/dashboard')],
            ['text' => $this->language->get('text_extension'), 'href' => $this->link('marketplace/extension', 'type=module')],
            ['text' => $this->language->get('heading_title'), 'href' => $this->link(self::ROUTE)],
        ];
        $data['save'] = $this->link(self::ROUTE . $this->sep() . 'save');
        $data['test'] = $this->link(self::ROUTE . $this->sep() . 'test');
        $data['back'] = $this->link('marketplace/extension', 'type=module');

        foreach (\PrintgateOpencartAdmin::FIELDS as $field) {
            $name = \PrintgateOpencart::SETTING . '_' . $field;
            $data[$name] = $this->config->get($name);
        }
        if (!$data['module_printgate_url']) {
            $data['module_printgate_url'] = \PrintgateApiClient::DEFAULT_BASE_URL;
        }
        // Secrets are never sent back to the browser; the form shows whether one is saved.
        $data['has_secret_key'] = (string) $this->config->get('module_printgate_secret_key') !== '';
        $data['has_webhook_secret'] = (string) $this->config->get('module_printgate_webhook_secret') !== '';
        $data['module_printgate_secret_key'] = '';
        $data['module_printgate_webhook_secret'] = '';

        $bridge = $this->bridge();
        $data['workflows'] = $bridge->workflowOptions();
        $data['default_workflow_known'] = in_array((string) $data['module_printgate_default_workflow'], array_column($data['workflows'], 'id'), true);
        $data['callback_url'] = HTTP_CATALOG . 'index.php?route=' . self::ROUTE . $this->sep() . 'callback';
        $data['cron_url'] = HTTP_CATALOG . 'index.php?route=' . self::ROUTE . $this->sep() . 'cron&key=' . $bridge->cronKey();
        $data['queued'] = sprintf($this->language->get('text_queue'), \PrintgateOpencartAdmin::queued($this->db));

        $data['header'] = $this->load->controller('common/header');
        $data['column_left'] = $this->load->controller('common/column_left');
        $data['footer'] = $this->load->controller('common/footer');
        $this->response->setOutput($this->load->view(self::ROUTE, $data));
    }

    /** AJAX save (OpenCart 4 forms post with data-oc-toggle="ajax"). */
    public function save(): void
    {
        $this->load->language(self::ROUTE);
        $json = [];
        if (!$this->user->hasPermission('modify', self::ROUTE)) {
            $json['error']['warning'] = $this->language->get('error_permission');
        } else {
            $config = $this->config;
            [$settings, $errors] = \PrintgateOpencartAdmin::settingsFromPost($this->request->post, function ($key) use ($config) {
                return (string) $config->get(\PrintgateOpencart::SETTING . '_' . $key);
            });
            foreach ($errors as $field => $key) {
                $json['error'][str_replace('_', '-', $field)] = $this->language->get($key);
            }
            if (!$json) {
                $this->load->model('setting/setting');
                $this->model_setting_setting->editSetting(\PrintgateOpencart::SETTING, $settings);
                $json['success'] = $this->language->get('text_success');
            }
        }
        $this->response->addHeader('Content-Type: application/json');
        $this->response->setOutput(json_encode($json));
    }

    /** AJAX: try the URL and secret key from the form (or the saved ones) against GET /workflows. */
    public function test(): void
    {
        $this->load->language(self::ROUTE);
        if (!$this->validToken() || !$this->user->hasPermission('modify', self::ROUTE)) {
            $json = ['ok' => false, 'message' => $this->language->get('error_permission'), 'workflows' => []];
        } else {
            $override = [];
            foreach (['url', 'secret_key'] as $key) {
                $name = \PrintgateOpencart::SETTING . '_' . $key;
                if (!empty($this->request->post[$name]) && is_string($this->request->post[$name])) {
                    $override[$key] = $this->request->post[$name];
                }
            }
            $json = $this->bridge()->client($override)->testConnection();
        }
        $this->response->addHeader('Content-Type: application/json');
        $this->response->setOutput(json_encode($json));
    }

    public function install(): void
    {
        $this->bridge()->install();
        $this->load->model('setting/event');
        $cartAdd = 'checkout/cart' . $this->sep() . 'add';
        foreach (\PrintgateOpencartAdmin::events('addHistory', $cartAdd, '*') as $code => $event) {
            $this->model_setting_event->deleteEventByCode($code);
            $action = self::ROUTE . $this->sep() . $event[1];
            if (version_compare(VERSION, '4.0.2.0', '>=')) {
                $this->model_setting_event->addEvent([
                    'code' => $code,
                    'description' => 'printgate',
                    'trigger' => $event[0],
                    'action' => $action,
                    'status' => true,
                    'sort_order' => 0,
                ]);
            } else {
                $this->model_setting_event->addEvent($code, 'printgate', $event[0], $action, true, 0);
            }
        }
    }

    public function uninstall(): void
    {
        $this->load->model('setting/event');
        foreach (array_keys(\PrintgateOpencartAdmin::events('addHistory', 'checkout/cart.add', '*')) as $code) {
            $this->model_setting_event->deleteEventByCode($code);
        }
        $this->load->model('setting/setting');
        $this->model_setting_setting->deleteSetting(\PrintgateOpencart::SETTING);
        $this->bridge()->uninstall();
    }

    // ---- events ------------------------------------------------------------------------------

    /**
     * admin/view/sale/order_info/before: the print files panel, as a tab of the order page's
     * history card, through the `tabs` view data the order page renders for extensions.
     */
    public function orderInfo(string &$route, array &$data, &$code = '', &$output = ''): void
    {
        $orderId = isset($this->request->get['order_id']) ? (int) $this->request->get['order_id'] : 0;
        if (!$orderId || !$this->user->hasPermission('access', 'sale/order')) {
            return;
        }
        $this->load->language(self::ROUTE);
        $sep = $this->sep();
        $link = function (string $method, array $params) use ($sep): string {
            return $this->link(self::ROUTE . $sep . $method, http_build_query($params));
        };
        $labels = \PrintgateOpencartAdmin::panelLabels([$this->language, 'get']);
        $html = $this->bridge()->orderPanelHtml($orderId, $link, $labels);
        if ($html !== '') {
            $data['tabs'] = isset($data['tabs']) && is_array($data['tabs']) ? $data['tabs'] : [];
            $data['tabs'][] = ['code' => 'printgate', 'title' => $labels['title'], 'content' => $html];
        }
    }

    /** admin/view/catalog/product_form/after: workflow and "require upload" fields. */
    public function productForm(string &$route, array &$data, string &$output): void
    {
        if (!$this->user->hasPermission('modify', self::ROUTE)) {
            return;
        }
        $this->load->language(self::ROUTE);
        $productId = isset($this->request->get['product_id']) ? (int) $this->request->get['product_id'] : 0;
        $html = $this->bridge()->productFieldsHtml($productId, \PrintgateOpencartAdmin::productLabels([$this->language, 'get']));
        $output = \PrintgateOpencart::injectIntoForm($output, 'form-product', $html);
    }

    public function productAdd(string &$route, array &$args, &$output): void
    {
        $this->saveProduct((int) $output);
    }

    public function productEdit(string &$route, array &$args, &$output): void
    {
        $this->saveProduct((int) $args[0]);
    }

    public function productDelete(string &$route, array &$args, &$output): void
    {
        $this->bridge()->deleteProduct((int) $args[0]);
    }

    private function saveProduct(int $productId): void
    {
        if ($productId && isset($this->request->post['printgate_workflow_id']) && $this->user->hasPermission('modify', self::ROUTE)) {
            $this->bridge()->saveProduct($productId, (string) $this->request->post['printgate_workflow_id'], !empty($this->request->post['printgate_required']));
        }
    }

    // ---- file proxy ------------------------------------------------------------------------------

    public function download(): void
    {
        $this->proxy(null);
    }

    public function proof(): void
    {
        $this->proxy(isset($this->request->get['index']) ? (int) $this->request->get['index'] : 0);
    }

    public function thumbnail(): void
    {
        $this->proxy('thumbnail'); // PrintgateFilesView::THUMBNAIL
    }

    /** @param int|string|null $proofIndex null: the output; a proof index; or the thumbnail */
    private function proxy(int|string|null $proofIndex): void
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
