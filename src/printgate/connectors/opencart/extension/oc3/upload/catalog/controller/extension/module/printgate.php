<?php

/**
 * printgate for OpenCart 3, storefront side: the product-page widget, the AJAX jobId save, the
 * cart and order events, the signed order call, printgate's callback and the cron retry.
 */

require_once DIR_SYSTEM . 'library/printgate/PrintgateOpencart.php';

class ControllerExtensionModulePrintgate extends Controller
{
    public const ROUTE = 'extension/module/printgate';

    private function bridge()
    {
        return new PrintgateOpencart($this->registry, self::ROUTE, '/');
    }

    private function messages()
    {
        $this->load->language(self::ROUTE);

        return array(
            'required' => $this->language->get('error_required'),
            'not_ready' => $this->language->get('error_not_ready'),
            'unavailable' => $this->language->get('text_unavailable'),
        );
    }

    private function json($status, array $body)
    {
        $reasons = array(400 => 'Bad Request', 401 => 'Unauthorized', 403 => 'Forbidden', 404 => 'Not Found',
            405 => 'Method Not Allowed', 409 => 'Conflict', 503 => 'Service Unavailable');
        if ($status !== 200) {
            $this->response->addHeader('HTTP/1.1 ' . $status . ' ' . (isset($reasons[$status]) ? $reasons[$status] : 'Error'));
        }
        $this->response->addHeader('Content-Type: application/json');
        $this->response->setOutput(json_encode($body));
    }

    /** catalog/view/product/product/after */
    public function productView(&$route, &$data, &$output)
    {
        if (empty($data['product_id'])) {
            return;
        }
        $saveUrl = $this->url->link(self::ROUTE . '/saveJob', '', true);
        $html = $this->bridge()->widgetHtml((int) $data['product_id'], $saveUrl, $this->messages());
        if ($html !== '') {
            $output = PrintgateOpencart::injectAfterProductId($output, $html);
        }
    }

    /** AJAX from the product page: keep the validated jobId in the session until add to cart. */
    public function saveJob()
    {
        if ($this->request->server['REQUEST_METHOD'] !== 'POST') {
            $this->json(405, array('error' => 'POST only'));

            return;
        }
        $result = $this->bridge()->saveJob($this->request->post);
        $this->json($result['status'], $result['body']);
    }

    /** catalog/controller/checkout/cart/add/after */
    public function cartAdd(&$route, &$args, &$output)
    {
        $json = json_decode((string) $this->response->getOutput(), true);
        if (!is_array($json) || empty($json['success'])) {
            return;
        }
        $error = $this->bridge()->afterCartAdd($this->request->post, $this->messages());
        if ($error !== null) {
            $json = array('error' => array('printgate' => $error));
            // A listing page's add (no widget field posted) is sent to the product page to upload.
            if (!isset($this->request->post['printgate_job_id']) && !empty($this->request->post['product_id'])) {
                $json['redirect'] = html_entity_decode($this->url->link('product/product', 'product_id=' . (int) $this->request->post['product_id'], true), ENT_QUOTES, 'UTF-8');
            }
            $this->json(200, $json);
        }
    }

    /** catalog/model/checkout/order/addOrder/after: $output is the new order_id. */
    public function orderAdd(&$route, &$args, &$output)
    {
        $this->bridge()->mapOrder((int) $output);
    }

    /** catalog/model/checkout/order/editOrder/after: the order lines were rewritten. */
    public function orderEdit(&$route, &$args, &$output)
    {
        $this->bridge()->mapOrder((int) $args[0]);
    }

    /** catalog/model/checkout/order/addOrderHistory/after: ($order_id, $order_status_id, ...). */
    public function orderHistory(&$route, &$args, &$output)
    {
        $this->bridge()->orderHistory((int) $args[0], isset($args[1]) ? (int) $args[1] : 0);
    }

    /** printgate -> shop: files ready / job completed, Standard Webhooks signed. */
    public function callback()
    {
        if ($this->request->server['REQUEST_METHOD'] !== 'POST') {
            $this->json(405, array('error' => 'POST only'));

            return;
        }
        $this->load->language(self::ROUTE);
        $result = $this->bridge()->callback($_SERVER, (string) file_get_contents('php://input'), $this->language->get('text_files_ready'));
        $this->json($result['status'], $result['body']);
    }

    /** Cron: index.php?route=extension/module/printgate/cron&key=... retries queued order calls. */
    public function cron()
    {
        $bridge = $this->bridge();
        $key = isset($this->request->get['key']) ? (string) $this->request->get['key'] : '';
        if ($bridge->setting('webhook_secret') === '' || !hash_equals($bridge->cronKey(), $key)) {
            $this->json(403, array('error' => 'bad key'));

            return;
        }
        $this->json(200, $bridge->flushQueue());
    }
}
