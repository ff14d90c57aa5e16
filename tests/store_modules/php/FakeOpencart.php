<?php
/**
 * Just enough of OpenCart's registry (config, session, customer, cart, db) to run the printgate
 * bridge the way the OC 3 / OC 4 controllers call it, on top of FakeMysql.
 */

require_once __DIR__ . '/FakeMysql.php';

class FakeRegistry
{
    private $items = array();

    public function get($name)
    {
        return isset($this->items[$name]) ? $this->items[$name] : null;
    }

    public function set($name, $value)
    {
        $this->items[$name] = $value;
    }
}

class FakeConfig
{
    public $values;

    public function __construct(array $values)
    {
        $this->values = $values;
    }

    public function get($key)
    {
        return isset($this->values[$key]) ? $this->values[$key] : null;
    }
}

class FakeSession
{
    public $data = array();

    public function getId()
    {
        return 'sess0123456789';
    }
}

class FakeCustomer
{
    public function getId()
    {
        return 0;
    }
}

/** OpenCart's Cart library over the `cart` table. */
class FakeCart
{
    private $db;

    public function __construct(FakeMysql $db)
    {
        $this->db = $db;
    }

    public function add($productId, $quantity)
    {
        $this->db->query("INSERT INTO `oc_cart` SET `api_id` = 0, `customer_id` = 0, `session_id` = 'sess0123456789', `product_id` = "
            . (int) $productId . ", `option` = '[]', `quantity` = " . (int) $quantity . ', `date_added` = NOW()');
    }

    public function getProducts()
    {
        return $this->db->query("SELECT * FROM `oc_cart` WHERE `session_id` = 'sess0123456789' ORDER BY `cart_id`")->rows;
    }

    public function update($cartId, $quantity)
    {
        $this->db->query('UPDATE `oc_cart` SET `quantity` = ' . (int) $quantity . ' WHERE `cart_id` = ' . (int) $cartId);
    }

    public function remove($cartId)
    {
        $this->db->query('DELETE FROM `oc_cart` WHERE `cart_id` = ' . (int) $cartId);
    }
}

/** Answers by "METHOD path"; each route replays its responses, the last one repeating. */
class RoutedTransport implements PrintgateTransport
{
    public $routes;
    public $requests = array();

    public function __construct(array $routes)
    {
        $this->routes = $routes;
    }

    public function request($method, $url, array $headers, $body = null, $sink = null, $timeout = 15)
    {
        $parts = parse_url($url);
        $key = $method . ' ' . $parts['path'] . (isset($parts['query']) ? '?' . $parts['query'] : '');
        $this->requests[] = array('key' => $key, 'url' => $url, 'headers' => $headers, 'body' => $body);
        if (empty($this->routes[$key])) {
            return new PrintgateResponse(404, array(), '{"error":true,"message":"no route ' . $key . '"}');
        }
        $next = count($this->routes[$key]) > 1 ? array_shift($this->routes[$key]) : $this->routes[$key][0];
        if ($next === 'down') {
            throw new PrintgateTransportException('Connection refused');
        }
        $respBody = isset($next['body']) ? (is_string($next['body']) ? $next['body'] : json_encode($next['body'])) : '';
        if ($sink !== null && $next['status'] < 300) {
            call_user_func($sink, $respBody);
            $respBody = '';
        }

        return new PrintgateResponse($next['status'], array(), $respBody);
    }
}

/** The tables OpenCart itself owns, reduced to the columns the bridge reads. */
function fake_opencart_schema(FakeMysql $db)
{
    $db->query('CREATE TABLE IF NOT EXISTS `oc_cart` (`cart_id` INT(11) NOT NULL AUTO_INCREMENT, `api_id` INT(11) NOT NULL DEFAULT 0,'
        . " `customer_id` INT(11) NOT NULL DEFAULT 0, `session_id` VARCHAR(32) NOT NULL DEFAULT '', `product_id` INT(11) NOT NULL,"
        . " `option` TEXT NOT NULL, `quantity` INT(5) NOT NULL, `date_added` DATETIME NOT NULL, PRIMARY KEY (`cart_id`))");
    $db->query("CREATE TABLE IF NOT EXISTS `oc_order` (`order_id` INT(11) NOT NULL AUTO_INCREMENT, `store_url` VARCHAR(255) NOT NULL DEFAULT '',"
        . " `customer_id` INT(11) NOT NULL DEFAULT 0, `firstname` VARCHAR(32) NOT NULL DEFAULT '', `lastname` VARCHAR(32) NOT NULL DEFAULT '',"
        . " `email` VARCHAR(96) NOT NULL DEFAULT '', `total` DECIMAL(15,4) NOT NULL DEFAULT 0, `order_status_id` INT(11) NOT NULL DEFAULT 0,"
        . " `language_id` INT(11) NOT NULL DEFAULT 1, `currency_code` VARCHAR(3) NOT NULL DEFAULT '', `currency_value` DECIMAL(15,8) NOT NULL DEFAULT 1,"
        . ' PRIMARY KEY (`order_id`))');
    $db->query("CREATE TABLE IF NOT EXISTS `oc_order_product` (`order_product_id` INT(11) NOT NULL AUTO_INCREMENT, `order_id` INT(11) NOT NULL,"
        . " `product_id` INT(11) NOT NULL, `name` VARCHAR(255) NOT NULL, `model` VARCHAR(64) NOT NULL DEFAULT '', `quantity` INT(4) NOT NULL,"
        . ' `price` DECIMAL(15,4) NOT NULL DEFAULT 0, `total` DECIMAL(15,4) NOT NULL DEFAULT 0, `tax` DECIMAL(15,4) NOT NULL DEFAULT 0,'
        . ' PRIMARY KEY (`order_product_id`))');
    $db->query("CREATE TABLE IF NOT EXISTS `oc_product` (`product_id` INT(11) NOT NULL AUTO_INCREMENT, `sku` VARCHAR(64) NOT NULL DEFAULT '',"
        . ' PRIMARY KEY (`product_id`))');
    $db->query('CREATE TABLE IF NOT EXISTS `oc_order_status` (`order_status_id` INT(11) NOT NULL, `language_id` INT(11) NOT NULL,'
        . ' `name` VARCHAR(32) NOT NULL, PRIMARY KEY (`order_status_id`, `language_id`))');
    $db->query('CREATE TABLE IF NOT EXISTS `oc_order_history` (`order_history_id` INT(11) NOT NULL AUTO_INCREMENT, `order_id` INT(11) NOT NULL,'
        . " `order_status_id` INT(11) NOT NULL, `notify` TINYINT(1) NOT NULL DEFAULT 0, `comment` TEXT NOT NULL, `date_added` DATETIME NOT NULL,"
        . ' PRIMARY KEY (`order_history_id`))');
}
