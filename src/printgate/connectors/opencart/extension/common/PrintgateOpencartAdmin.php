<?php

/**
 * Admin-side helpers shared by the OpenCart 3 and 4 controllers: the events the extension
 * registers, settings validation, and the labels of the injected product fields and order panel.
 */

require_once __DIR__ . '/PrintgateOpencart.php';

class PrintgateOpencartAdmin
{
    public const FIELDS = array('status', 'url', 'publishable_key', 'secret_key', 'webhook_secret', 'default_workflow', 'all_products', 'send_all_orders');

    /**
     * The events to register: code => [trigger, method]. $history is the order-history model method
     * (addOrderHistory on OC 3, addHistory on OC 4); $cartAdd the cart route (checkout/cart/add or
     * checkout/cart.add); $modelSep what joins a model route and its method in a trigger: "/" on
     * OC 3, "*" on OC 4, whose loader names model events "order/addHistory" in 4.0 and
     * "order.addHistory" in 4.1 (OpenCart turns "*" into ".*" when matching triggers).
     *
     * @return array<string,array{0:string,1:string}>
     */
    public static function events($history, $cartAdd, $modelSep = '/')
    {
        $order = 'catalog/model/checkout/order' . $modelSep;
        $product = 'admin/model/catalog/product' . $modelSep;

        return array(
            'printgate_order_history' => array($order . $history . '/after', 'orderHistory'),
            'printgate_order_add' => array($order . 'addOrder/after', 'orderAdd'),
            'printgate_order_edit' => array($order . 'editOrder/after', 'orderEdit'),
            'printgate_product_view' => array('catalog/view/product/product/after', 'productView'),
            'printgate_cart_add' => array('catalog/controller/' . $cartAdd . '/after', 'cartAdd'),
            'printgate_admin_order_info' => array('admin/view/sale/order_info/before', 'orderInfo'),
            'printgate_admin_product_form' => array('admin/view/catalog/product_form/after', 'productForm'),
            'printgate_admin_product_add' => array($product . 'addProduct/after', 'productAdd'),
            'printgate_admin_product_edit' => array($product . 'editProduct/after', 'productEdit'),
            'printgate_admin_product_delete' => array($product . 'deleteProduct/after', 'productDelete'),
        );
    }

    /**
     * Validated settings to store: secrets left empty keep their saved value.
     *
     * @param array<string,mixed> $post the form, fields named module_printgate_<key>
     * @param callable $saved function (string $key): string
     * @return array{0:array<string,mixed>,1:array<string,string>} [settings with prefix, errors by field]
     */
    public static function settingsFromPost(array $post, $saved)
    {
        $values = array();
        foreach (self::FIELDS as $field) {
            $name = PrintgateOpencart::SETTING . '_' . $field;
            $values[$field] = isset($post[$name]) && is_string($post[$name]) ? trim($post[$name]) : '';
        }
        foreach (array('secret_key', 'webhook_secret') as $secret) {
            if ($values[$secret] === '') {
                $values[$secret] = (string) call_user_func($saved, $secret);
            }
        }
        $values['status'] = $values['status'] ? 1 : 0;
        $values['all_products'] = $values['all_products'] ? 1 : 0;
        $values['send_all_orders'] = $values['send_all_orders'] ? 1 : 0;
        $values['url'] = rtrim($values['url'] !== '' ? $values['url'] : PrintgateApiClient::DEFAULT_BASE_URL, '/');

        $errors = array();
        if (!preg_match('#^https?://[^\s/]+#i', $values['url'])) {
            $errors['url'] = 'error_url';
        }
        if ($values['publishable_key'] !== '' && strpos($values['publishable_key'], 'pk_') !== 0) {
            $errors['publishable_key'] = 'error_publishable_key';
        }
        if ($values['secret_key'] !== '' && strpos($values['secret_key'], 'sk_') !== 0) {
            $errors['secret_key'] = 'error_secret_key';
        }
        if ($values['webhook_secret'] !== '') {
            try {
                new PrintgateSigner($values['webhook_secret']);
            } catch (PrintgateSignatureException $e) {
                $errors['webhook_secret'] = 'error_webhook_secret';
            }
            if (strpos($values['webhook_secret'], 'whsec_') !== 0) {
                $errors['webhook_secret'] = 'error_webhook_secret';
            }
        }
        $settings = array();
        foreach ($values as $key => $value) {
            $settings[PrintgateOpencart::SETTING . '_' . $key] = $value;
        }

        return array($settings, $errors);
    }

    /** @param callable $t function (string $key): string (the language object's get) */
    public static function productLabels($t)
    {
        return array(
            'legend' => call_user_func($t, 'text_product_legend'),
            'inherit' => call_user_func($t, 'text_product_inherit'),
            'off' => call_user_func($t, 'text_product_off'),
            'workflow' => call_user_func($t, 'entry_product_workflow'),
            'required' => call_user_func($t, 'entry_product_required'),
        );
    }

    /** @param callable $t function (string $key): string */
    public static function panelLabels($t)
    {
        return array(
            'title' => call_user_func($t, 'text_panel_title'),
            'product' => call_user_func($t, 'column_product'),
            'job' => call_user_func($t, 'column_job'),
            'status' => call_user_func($t, 'column_status'),
            'files' => call_user_func($t, 'column_files'),
            'proof' => call_user_func($t, 'text_proof'),
            'thumbnail' => call_user_func($t, 'text_thumbnail'),
            'download' => call_user_func($t, 'button_download'),
            'offline' => call_user_func($t, 'text_offline'),
            'pending' => call_user_func($t, 'text_files_pending'),
        );
    }

    /** How many order calls are still waiting in the queue. */
    public static function queued($db)
    {
        $result = $db->query('SELECT COUNT(*) AS `n` FROM `' . DB_PREFIX . "printgate_queue` WHERE `status` = 'pending'");

        return isset($result->row['n']) ? (int) $result->row['n'] : 0;
    }
}
