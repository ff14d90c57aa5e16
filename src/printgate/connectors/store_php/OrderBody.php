<?php

/**
 * The Filecheck-compatible body of POST /orders/{orderId}, built in one place from each
 * platform's own order fields:
 *
 *   {orderId, status, currency, total, customer:{id,name,email},
 *    items:[{itemId, productId, name, quantity, total, sku, jobId}], source, storeUrl}
 *
 * Ids of the order are strings (the OpenAPI types orderId as a string); money is a decimal string
 * in the order's currency, as WooCommerce sends it. An item without a printgate job carries no
 * jobId key at all.
 */

class PrintgateOrderBody
{
    /**
     * @param array<string,mixed> $order a row of OpenCart's `order` table (model checkout/order getOrder)
     * @param array<int,array<string,mixed>> $products rows of `order_product`, plus `sku` from `product`
     * @param string $status the order status name the history entry moved to
     * @param array<int|string,string> $jobsByOrderProductId order_product_id => jobId
     */
    public static function opencart(array $order, array $products, $status, array $jobsByOrderProductId, $storeUrl)
    {
        $rate = isset($order['currency_value']) && (float) $order['currency_value'] > 0 ? (float) $order['currency_value'] : 1.0;
        $items = array();
        foreach ($products as $product) {
            $lineId = (int) $product['order_product_id'];
            $item = array(
                'itemId' => $lineId,
                'productId' => (int) $product['product_id'],
                'name' => self::text($product['name']),
                'quantity' => (int) $product['quantity'],
                'total' => self::money((float) $product['total'] * $rate),
                'sku' => self::text(isset($product['sku']) && $product['sku'] !== '' ? $product['sku'] : (isset($product['model']) ? $product['model'] : '')),
            );
            if (!empty($jobsByOrderProductId[$lineId])) {
                $item['jobId'] = (string) $jobsByOrderProductId[$lineId];
            }
            $items[] = $item;
        }

        return array(
            'orderId' => (string) $order['order_id'],
            'status' => self::status($status),
            'currency' => (string) $order['currency_code'],
            'total' => self::money((float) $order['total'] * $rate),
            'customer' => array(
                'id' => (int) $order['customer_id'],
                'name' => self::text(trim($order['firstname'] . ' ' . $order['lastname'])),
                'email' => (string) $order['email'],
            ),
            'items' => $items,
            'source' => 'opencart',
            'storeUrl' => self::storeUrl($storeUrl),
        );
    }

    /**
     * @param array<string,mixed> $order PrestaShop Order fields (id, id_customer, total_paid_tax_incl, ...)
     * @param array<int,array<string,mixed>> $details OrderDetail rows (id_order_detail, product_id, product_name,
     *        product_quantity, product_reference, total_price_tax_incl)
     * @param array<string,mixed> $customer Customer fields (id, firstname, lastname, email)
     * @param array<int|string,string> $jobsByDetailId id_order_detail => jobId
     */
    public static function prestashop(array $order, array $details, array $customer, $currencyIso, $status, array $jobsByDetailId, $storeUrl)
    {
        $items = array();
        foreach ($details as $detail) {
            $lineId = (int) $detail['id_order_detail'];
            $item = array(
                'itemId' => $lineId,
                'productId' => (int) $detail['product_id'],
                'name' => self::text($detail['product_name']),
                'quantity' => (int) $detail['product_quantity'],
                'total' => self::money((float) $detail['total_price_tax_incl']),
                'sku' => self::text(isset($detail['product_reference']) ? $detail['product_reference'] : ''),
            );
            if (!empty($jobsByDetailId[$lineId])) {
                $item['jobId'] = (string) $jobsByDetailId[$lineId];
            }
            $items[] = $item;
        }
        $orderId = isset($order['id_order']) ? $order['id_order'] : $order['id'];

        return array(
            'orderId' => (string) $orderId,
            'status' => self::status($status),
            'currency' => (string) $currencyIso,
            'total' => self::money((float) $order['total_paid_tax_incl']),
            'customer' => array(
                'id' => (int) (isset($customer['id_customer']) ? $customer['id_customer'] : $customer['id']),
                'name' => self::text(trim($customer['firstname'] . ' ' . $customer['lastname'])),
                'email' => (string) $customer['email'],
            ),
            'items' => $items,
            'source' => 'prestashop',
            'storeUrl' => self::storeUrl($storeUrl),
        );
    }

    /** "Processing" -> "processing", "Payment accepted" -> "payment_accepted". */
    public static function status($name)
    {
        $slug = strtolower(trim(preg_replace('/[^A-Za-z0-9]+/', '_', (string) $name), '_'));

        return $slug !== '' ? $slug : 'pending';
    }

    public static function money($amount)
    {
        return number_format(round((float) $amount, 2), 2, '.', '');
    }

    private static function text($value)
    {
        return html_entity_decode((string) $value, ENT_QUOTES, 'UTF-8');
    }

    private static function storeUrl($url)
    {
        return rtrim((string) $url, '/') . '/';
    }
}
