<?php

/**
 * printgate for OpenCart 4, storefront side: the product-page widget, the AJAX jobId save, the
 * cart and order events, the signed order call, printgate's callback and the cron retry.
 * Callback route: index.php?route=extension/printgate/module/printgate.callback
 */

namespace Opencart\Catalog\Controller\Extension\Printgate\Module;

require_once __DIR__ . '/../../../system/library/printgate/PrintgateOpencart.php';

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

    private function messages(): array
    {
        $this->load->language(self::ROUTE);

        return [
            'required' => $this->language->get('error_required'),
            'not_ready' => $this->language->get('error_not_ready'),
            'unavailable' => $this->language->get('text_unavailable'),
        ];
    }

    private function json(int $status, array $body): void
    {
        $reasons = [400 => 'Bad Request', 401 => 'Unauthorized', 403 => 'Forbidden', 404 => 'Not Found',
            405 => 'Method Not Allowed', 409 => 'Conflict', 503 => 'Service Unavailable'];
        if ($status !== 200) {
            $this->response->addHeader('HTTP/1.1 ' . $status . ' ' . ($reasons[$status] ?? 'Error'));
        }
        $this->response->addHeader('Content-Type: application/json');
        $this->response->setOutput(json_encode($body));
    }

    /** catalog/view/product/product/after */
    public function productView(string &$route, array &$data, string &$output): void
    {
        if (empty($data['product_id'])) {
            return;
        }
        $saveUrl = $this->url->link(self::ROUTE . $this->sep() . 'saveJob', 'language=' . $this->config->get('config_language'));
        $html = $this->bridge()->widgetHtml((int) $data['product_id'], $saveUrl, $this->messages());
        if ($html !== '') {
            $output = \PrintgateOpencart::injectAfterProductId($output, $html);
        }
    }

    /** AJAX from the product page: keep the validated jobId in the session until add to cart. */
    public function saveJob(): void
    {
        if ($this->request->server['REQUEST_METHOD'] !== 'POST') {
            $this->json(405, ['error' => 'POST only']);

            return;
        }
        $result = $this->bridge()->saveJob($this->request->post);
        $this->json($result['status'], $result['body']);
    }

    /** catalog/controller/checkout/cart.add/after */
    public function cartAdd(string &$route, array &$args, &$output): void
    {
        $json = json_decode((string) $this->response->getOutput(), true);
        if (!is_array($json) || empty($json['success'])) {
            return;
        }
        $error = $this->bridge()->afterCartAdd($this->request->post, $this->messages());
        if ($error !== null) {
            $json = ['error' => ['printgate' => $error]];
            // A listing page's add (no widget field posted) is sent to the product page to upload.
            if (!isset($this->request->post['printgate_job_id']) && !empty($this->request->post['product_id'])) {
                $json['redirect'] = html_entity_decode($this->url->link('product/product', 'language=' . $this->config->get('config_language') . '&product_id=' . (int) $this->request->post['product_id']), ENT_QUOTES, 'UTF-8');
            }
            $this->json(200, $json);
        }
    }

    /** catalog/model/checkout/order/addOrder/after: $output is the new order_id. */
    public function orderAdd(string &$route, array &$args, &$output): void
    {
        $this->bridge()->mapOrder((int) $output);
    }

    /** catalog/model/checkout/order/editOrder/after: the order lines were rewritten. */
    public function orderEdit(string &$route, array &$args, &$output): void
    {
        $this->bridge()->mapOrder((int) $args[0]);
    }

    /** catalog/model/checkout/order/addHistory/after: ($order_id, $order_status_id, ...). */
    public function orderHistory(string &$route, array &$args, &$output): void
    {
        $this->bridge()->orderHistory((int) $args[0], (int) ($args[1] ?? 0));
    }

    /** printgate -> shop: files ready / job completed, Standard Webhooks signed. */
    public function callback(): void
    {
        if ($this->request->server['REQUEST_METHOD'] !== 'POST') {
            $this->json(405, ['error' => 'POST only']);

            return;
        }
        $this->load->language(self::ROUTE);
        $result = $this->bridge()->callback($_SERVER, (string) file_get_contents('php://input'), $this->language->get('text_files_ready'));
        $this->json($result['status'], $result['body']);
    }

    /** Cron: retries queued order calls. */
    public function cron(): void
    {
        $bridge = $this->bridge();
        $key = (string) ($this->request->get['key'] ?? '');
        if ($bridge->setting('webhook_secret') === '' || !hash_equals($bridge->cronKey(), $key)) {
            $this->json(403, ['error' => 'bad key']);

            return;
        }
        $this->json(200, $bridge->flushQueue());
    }
}
