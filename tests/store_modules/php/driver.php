<?php
/**
 * Test driver: runs one scenario against the platform-free store classes and prints JSON.
 * Input (stdin): {"lib": "<dir with autoload.php>", "action": "...", ...}.
 */

$input = json_decode(stream_get_contents(STDIN), true);
require $input['lib'] . '/autoload.php';
if (!empty($input['opencart'])) {
    define('DB_PREFIX', 'oc_');
    require $input['lib'] . '/PrintgateOpencartAdmin.php';
}

/** Replays scripted responses; a scripted "down" raises a transport error. Records every request. */
class FakeTransport implements PrintgateTransport
{
    public $script;
    public $requests = array();

    public function __construct(array $script)
    {
        $this->script = $script;
    }

    public function request($method, $url, array $headers, $body = null, $sink = null, $timeout = 15)
    {
        $this->requests[] = array('method' => $method, 'url' => $url, 'headers' => $headers, 'body' => $body);
        $next = $this->script ? array_shift($this->script) : array('status' => 200, 'body' => '{}');
        if ($next === 'down') {
            throw new PrintgateTransportException('Connection refused');
        }
        $body = isset($next['body']) ? $next['body'] : '';
        if ($sink !== null && $next['status'] < 300) {
            call_user_func($sink, $body);
            $body = '';
        }

        return new PrintgateResponse($next['status'], isset($next['headers']) ? $next['headers'] : array(), $body);
    }
}

class Clock
{
    public $now;

    public function __construct($now)
    {
        $this->now = $now;
    }

    public function __invoke()
    {
        return $this->now;
    }
}

/** A shop's whole printgate story through the OpenCart bridge, on the fake registry and database. */
function opencart_flow(array $input)
{
    $db = new FakeMysql();
    fake_opencart_schema($db);
    $registry = new FakeRegistry();
    $config = array();
    foreach ($input['settings'] as $key => $value) {
        $config['module_printgate_' . $key] = $value;
    }
    $session = new FakeSession();
    $cart = new FakeCart($db);
    $registry->set('db', $db);
    $registry->set('config', new FakeConfig($config));
    $registry->set('session', $session);
    $registry->set('customer', new FakeCustomer());
    $registry->set('cart', $cart);
    $transport = new RoutedTransport($input['routes']);
    $bridge = new PrintgateOpencart($registry, 'extension/module/printgate', '/', $transport);
    $messages = array('required' => 'upload first', 'not_ready' => 'not ready', 'unavailable' => 'x');
    $all = function ($table) use ($db) {
        return $db->query('SELECT * FROM `' . $table . '`')->rows;
    };
    $r = array();

    $bridge->install();
    $r['tables'] = array_keys($db->tables);
    $bridge->saveProduct(50, 'wf_cards', true);
    $bridge->saveProduct(52, 'none', true);
    $bridge->saveProduct(53, '', false);
    $r['setup'] = array();
    foreach (array(50, 51, 52, 53) as $id) {
        $r['setup'][$id] = $bridge->productSetup($id);
    }
    $r['widget'] = array(
        50 => $bridge->widgetHtml(50, 'https://shop.test/index.php?route=extension/module/printgate/saveJob', $messages),
        51 => $bridge->widgetHtml(51, 'https://shop.test/index.php?route=extension/module/printgate/saveJob', $messages),
    );
    $token = $session->data['printgate_token'];
    $r['save_bad_token'] = $bridge->saveJob(array('token' => 'nope', 'product_id' => 50, 'job_id' => 'job_BC1'));
    $r['save_bad_job'] = $bridge->saveJob(array('token' => $token, 'product_id' => 50, 'job_id' => '../x'));

    // Add to cart with no file, then with a file that cannot proceed: both undone.
    $cart->add(50, 2);
    $r['add_missing'] = $bridge->afterCartAdd(array('product_id' => '50', 'quantity' => '2', 'printgate_job_id' => ''), $messages);
    $r['cart_after_missing'] = count($cart->getProducts());
    $cart->add(50, 1);
    $r['add_bad'] = $bridge->afterCartAdd(array('product_id' => '50', 'quantity' => '1', 'printgate_job_id' => 'job_BAD'), $messages);
    $r['cart_after_bad'] = count($cart->getProducts());
    // The widget saved the job by AJAX; the add posts an empty field.
    $r['save_ok'] = $bridge->saveJob(array('token' => $token, 'product_id' => '50', 'job_id' => 'job_BC1'));
    $cart->add(50, 2);
    $r['add_ok'] = $bridge->afterCartAdd(array('product_id' => '50', 'quantity' => '2', 'printgate_job_id' => ''), $messages);
    $r['session_jobs_after_add'] = isset($session->data['printgate_jobs']) ? $session->data['printgate_jobs'] : null;
    $cart->add(9, 1);
    $r['add_plain'] = $bridge->afterCartAdd(array('product_id' => '9', 'quantity' => '1'), $messages);
    $r['cart'] = $cart->getProducts();
    $r['cart_jobs'] = $all('oc_printgate_cart_job');

    // Checkout writes the order and its lines in cart order.
    $db->query("INSERT INTO `oc_order` SET `order_id` = 1042, `store_url` = 'https://shop.test/', `customer_id` = 17, `firstname` = 'Zoe',"
        . " `lastname` = 'Martin', `email` = 'zoe@example.com', `total` = '30.0000', `order_status_id` = 0, `language_id` = 1,"
        . " `currency_code` = 'EUR', `currency_value` = '1.00000000'");
    $db->query("INSERT INTO `oc_order_product` SET `order_id` = 1042, `product_id` = 50, `name` = 'Business Cards', `model` = 'BC', `quantity` = 2, `total` = '24.0000'");
    $db->query("INSERT INTO `oc_order_product` SET `order_id` = 1042, `product_id` = 9, `name` = 'Gift wrap', `model` = 'GW', `quantity` = 1, `total` = '6.0000'");
    $db->query("INSERT INTO `oc_product` SET `product_id` = 50, `sku` = 'BC-STD'");
    $db->query("INSERT INTO `oc_order_status` SET `order_status_id` = 1, `language_id` = 1, `name` = 'Pending'");
    $db->query("INSERT INTO `oc_order_status` SET `order_status_id` = 2, `language_id` = 1, `name` = 'Processing'");
    $bridge->mapOrder(1042);
    $r['order_jobs'] = $bridge->orderJobs(1042);

    // printgate is down for the first status change; the queue keeps it.
    $r['history_pending'] = $bridge->orderHistory(1042, 1);
    $r['queue_after_down'] = $all('oc_printgate_queue');
    $db->query('UPDATE `oc_printgate_queue` SET `next_attempt_at` = 0');
    $r['flush'] = $bridge->flushQueue();
    $r['history_processing'] = $bridge->orderHistory(1042, 2);
    $r['queue'] = $all('oc_printgate_queue');

    // An admin edit rewrites the order lines with new ids; the job follows its product.
    $db->query('DELETE FROM `oc_order_product` WHERE `order_id` = 1042');
    $db->query("INSERT INTO `oc_order_product` SET `order_id` = 1042, `product_id` = 9, `name` = 'Gift wrap', `model` = 'GW', `quantity` = 1, `total` = '6.0000'");
    $db->query("INSERT INTO `oc_order_product` SET `order_id` = 1042, `product_id` = 50, `name` = 'Business Cards', `model` = 'BC', `quantity` = 3, `total` = '36.0000'");
    $r['history_after_edit'] = $bridge->orderHistory(1042, 2);

    // printgate calls back.
    $r['callbacks'] = array();
    foreach ($input['callbacks'] as $delivery) {
        $r['callbacks'][] = $bridge->callback($delivery['headers'], $delivery['body'], 'printgate: print-ready files are available (%s).');
    }
    $r['order_jobs_after_callback'] = $bridge->orderJobs(1042);
    $r['order_history'] = $all('oc_order_history');

    $link = function ($method, array $params) {
        return 'admin/index.php?route=extension/module/printgate/' . $method . '&user_token=tok&' . http_build_query($params);
    };
    $r['panel'] = $bridge->orderPanelHtml(1042, $link, array('title' => 'T', 'product' => 'P', 'job' => 'J', 'status' => 'S',
        'files' => 'F', 'proof' => 'Pr', 'download' => 'Download', 'offline' => 'offline', 'pending' => 'pending'));
    $r['proxy_foreign_job'] = $bridge->proxy(1042, 'job_OTHER', 'task_1');
    $r['proxy_other_order'] = $bridge->proxy(7, 'job_BC1', 'task_1');
    // The streamed file is the only thing printed before the JSON result.
    $r['proxy'] = $bridge->proxy(1042, 'job_BC1', 'task_1');
    $r['requests'] = $transport->requests;

    $bridge->uninstall();
    $r['tables_after_uninstall'] = array_keys($db->tables);

    return $r;
}

/** The PrestaShop module's bridge through one order, on the fake PrestaShop and database. */
function prestashop_flow(array $input)
{
    FakePs::$db = new FakeMysql();
    $all = function ($table) {
        return FakePs::$db->query('SELECT * FROM `' . $table . '`')->rows;
    };
    foreach ($input['config'] as $key => $value) {
        Configuration::updateValue($key, $value);
    }
    $transport = new RoutedTransport($input['routes']);
    $bridge = new PrintgatePrestashop($transport);
    $context = Context::getContext();
    $r = array();

    $r['installed'] = PrintgatePrestashop::install();
    $r['tables'] = array_keys(FakePs::$db->tables);
    $r['save_product'] = array(
        $bridge->saveProduct(19, 'wf_poster', true),
        $bridge->saveProduct(7, 'none', true),
        $bridge->saveProduct(8, '../etc', true),
    );
    $r['setup'] = array();
    foreach (array(19, 7, 8, 3) as $id) {
        $r['setup'][$id] = $bridge->productSetup($id);
    }

    $r['save_job'] = array(PrintgatePrestashop::saveJob($context, 19, 'job_PO1'), PrintgatePrestashop::saveJob($context, 19, '<x>'));
    $r['cookie_writes'] = $context->cookie->writes;
    $r['incoming_saved'] = PrintgatePrestashop::incomingJob($context, 19);
    $_POST['printgate_job_id'] = 'job_FIELD';
    $r['incoming_posted'] = PrintgatePrestashop::incomingJob($context, 19);
    unset($_POST['printgate_job_id']);
    $r['refusal'] = array(
        'missing' => $bridge->refusal(19, ''),
        'bad' => $bridge->refusal(19, 'job_BAD'),
        'ok' => $bridge->refusal(19, 'job_PO1'),
        'down' => $bridge->refusal(19, 'job_DOWN'),
        'unknown' => $bridge->refusal(19, 'job_GONE'),
        'ungated' => $bridge->refusal(7, ''),
    );

    $bridge->rememberCartLine(120, 19, 0, 0, 'job_PO1');
    FakePs::$customers[5] = array('firstname' => 'Jean', 'lastname' => 'Dupont', 'email' => 'jean@example.fr');
    FakePs::$orders[88] = array(
        'id_cart' => 120, 'id_customer' => 5, 'id_currency' => 1, 'id_shop' => 1, 'id_lang' => 1,
        'total_paid_tax_incl' => '54.600000', 'details' => $input['details'],
    );
    $order = new Order(88);
    $bridge->mapOrder($order);
    $r['order_jobs'] = $bridge->orderJobs(88);
    $r['send'] = array($bridge->sendOrder($order, 'Awaiting bank wire payment'));
    FakePs::$db->query('UPDATE `ps_printgate_queue` SET `next_attempt_at` = 0');
    $r['flush'] = $bridge->flushQueue();
    $r['send'][] = $bridge->sendOrder($order, 'Payment accepted');
    $r['queue'] = $all('ps_printgate_queue');

    $r['callbacks'] = array();
    foreach ($input['callbacks'] as $delivery) {
        $r['callbacks'][] = $bridge->callback($delivery['headers'], $delivery['body'], function (Order $order, array $names) {
            PrintgatePrestashop::addOrderMessage($order, 'files ready: ' . implode(', ', $names));
        });
    }
    $r['order_jobs_after_callback'] = $bridge->orderJobs(88);
    $r['messages'] = FakePs::$messages;
    $r['threads'] = count(FakePs::$threads);
    $r['files'] = $bridge->orderFiles(88);
    $r['proxy_foreign'] = $bridge->proxy(88, 'job_OTHER', 'task_9');
    $r['proxy_proof'] = null;
    $r['proxy'] = $bridge->proxy(88, 'job_PO1', 'task_9');
    $r['requests'] = $transport->requests;
    $r['uninstalled'] = PrintgatePrestashop::uninstall();
    $r['tables_after_uninstall'] = array_keys(FakePs::$db->tables);
    $r['config_after_uninstall'] = FakePs::$config;

    return $r;
}

/** Drive one OpenCart version's catalog or admin controller the way OpenCart calls it. */
function opencart_controllers(array $input)
{
    $v4 = $input['version'] === 4;
    define('VERSION', $v4 ? '4.0.2.3' : '3.0.3.8');
    define('DIR_SYSTEM', $input['root'] . '/system/');
    define('HTTP_CATALOG', 'https://shop.test/');
    define('HTTPS_CATALOG', 'https://shop.test/');
    $route = $v4 ? 'extension/printgate/module/printgate' : 'extension/module/printgate';
    $sep = $v4 ? '.' : '/';
    $db = new FakeMysql();
    fake_opencart_schema($db);
    $registry = fake_opencart_app($db, $input['settings'], $input['language'], array('modify:' . $route, 'access:sale/order'));
    $transport = new RoutedTransport($input['routes']);
    $registry->set('printgate_transport', $transport);
    $bridge = new PrintgateOpencart($registry, $route, $sep);
    $request = $registry->get('request');
    $response = $registry->get('response');
    $session = $registry->get('session');
    $r = array();

    if ($input['action'] === 'oc_catalog') {
        require $input['root'] . '/catalog/controller/' . ($v4 ? 'module' : 'extension/module') . '/printgate.php';
        $controller = $v4 ? new \Opencart\Catalog\Controller\Extension\Printgate\Module\Printgate($registry) : new ControllerExtensionModulePrintgate($registry);
        $bridge->install();
        $bridge->saveProduct(50, 'wf_cards', true);

        $eventRoute = 'product/product';
        $data = array('product_id' => 50);
        $output = $input['page'];
        $controller->productView($eventRoute, $data, $output);
        $r['product_page'] = $output;

        $controller->saveJob();
        $r['save_get'] = array($response->headers, $response->output);
        $request->server['REQUEST_METHOD'] = 'POST';
        $request->post = array('token' => $session->data['printgate_token'], 'product_id' => '50', 'job_id' => 'job_BC1');
        $response->headers = array();
        $controller->saveJob();
        $r['save_post'] = array($response->headers, $response->output);

        $cartRoute = $v4 ? 'checkout/cart.add' : 'checkout/cart/add';
        $args = array();
        $none = null;
        $cart = $registry->get('cart');
        $adds = array(
            'with_saved_job' => array('product_id' => '50', 'quantity' => '1', 'printgate_job_id' => ''),
            'listing_without_job' => array('product_id' => '50', 'quantity' => '1'),
            'product_page_without_job' => array('product_id' => '50', 'quantity' => '1', 'printgate_job_id' => ''),
        );
        $r['cart_add'] = array();
        foreach ($adds as $name => $post) {
            $cart->add(50, 1);
            $request->post = $post;
            $response->setOutput('{"success":"Added to cart"}');
            $controller->cartAdd($cartRoute, $args, $none);
            $r['cart_add'][$name] = json_decode($response->getOutput(), true);
        }
        $r['cart'] = $cart->getProducts();

        $db->query("INSERT INTO `oc_order` SET `order_id` = 1042, `store_url` = 'https://shop.test/', `customer_id` = 0, `firstname` = 'Guest',"
            . " `lastname` = 'Buyer', `email` = 'g@example.com', `total` = '12.0000', `language_id` = 1, `currency_code` = 'USD'");
        $db->query("INSERT INTO `oc_order_product` SET `order_id` = 1042, `product_id` = 50, `name` = 'Cards', `quantity` = 1, `total` = '12.0000'");
        $db->query("INSERT INTO `oc_order_status` SET `order_status_id` = 2, `language_id` = 1, `name` = 'Processing'");
        $modelRoute = 'checkout/order/addOrder';
        $orderArgs = array(array());
        $orderId = 1042;
        $controller->orderAdd($modelRoute, $orderArgs, $orderId);
        $r['order_jobs'] = $bridge->orderJobs(1042);
        $historyRoute = $v4 ? 'checkout/order/addHistory' : 'checkout/order/addOrderHistory';
        $historyArgs = array(1042, 2, '', false);
        $controller->orderHistory($historyRoute, $historyArgs, $none);

        $request->server['REQUEST_METHOD'] = 'GET';
        $response->headers = array();
        $controller->callback();
        $r['callback_get'] = array($response->headers, $response->output);
        $request->server['REQUEST_METHOD'] = 'POST';
        $_SERVER = $input['callback_server'] + $_SERVER;
        $response->headers = array();
        $controller->callback();
        $r['callback_empty_body'] = array($response->headers, $response->output);

        $request->get = array('key' => 'wrong');
        $response->headers = array();
        $controller->cron();
        $r['cron_bad'] = array($response->headers, $response->output);
        $request->get = array('key' => $bridge->cronKey());
        $response->headers = array();
        $controller->cron();
        $r['cron_ok'] = array($response->headers, json_decode($response->output, true));
    } else {
        require $input['root'] . '/admin/controller/' . ($v4 ? 'module' : 'extension/module') . '/printgate.php';
        $controller = $v4 ? new \Opencart\Admin\Controller\Extension\Printgate\Module\Printgate($registry) : new ControllerExtensionModulePrintgate($registry);
        $session->data['user_token'] = 'tok123';
        $loader = $registry->get('load');
        $events = $registry->get('fake_model_setting_event');
        $settings = $registry->get('fake_model_setting_setting');

        $controller->install();
        $r['events'] = $events->events;
        $r['tables'] = array_keys($db->tables);

        $controller->index();
        $r['index_view'] = end($loader->views);

        $bad = array('module_printgate_url' => 'nope', 'module_printgate_secret_key' => 'pk_wrong', 'module_printgate_status' => '1');
        $good = array('module_printgate_url' => 'https://print.example.com/', 'module_printgate_publishable_key' => 'pk_live_2',
            'module_printgate_secret_key' => '', 'module_printgate_webhook_secret' => '', 'module_printgate_status' => '1',
            'module_printgate_default_workflow' => 'wf_cards', 'module_printgate_all_products' => '1');
        $request->server['REQUEST_METHOD'] = 'POST';
        if ($v4) {
            $request->post = $bad;
            $controller->save();
            $r['save_bad'] = json_decode($response->output, true);
            $request->post = $good;
            $controller->save();
            $r['save_good'] = json_decode($response->output, true);
        } else {
            $request->post = $bad;
            $controller->index();
            $r['save_bad'] = end($loader->views)['data']['errors'];
            $request->post = $good;
            $controller->index();
            $r['save_good'] = $response->redirects;
        }
        $r['settings'] = isset($settings->settings['module_printgate']) ? $settings->settings['module_printgate'] : null;

        $request->post = array();
        $request->get = array();
        $controller->test();
        $r['test_without_token'] = json_decode($response->output, true);
        $request->get = array('user_token' => 'tok123');
        $controller->test();
        $r['test'] = json_decode($response->output, true);

        $formRoute = 'catalog/product_form';
        $formData = array();
        $request->get = array('user_token' => 'tok123', 'product_id' => '50');
        $page = '<form id="form-product" method="post"><input name="model"></form>';
        $controller->productForm($formRoute, $formData, $page);
        $r['product_form'] = $page;
        $request->post = array('printgate_workflow_id' => 'wf_cards', 'printgate_required' => '0');
        $editRoute = 'catalog/product/editProduct';
        $editArgs = array(50, array());
        $none = null;
        $controller->productEdit($editRoute, $editArgs, $none);
        $r['product_row'] = $bridge->productRow(50);

        $db->query("INSERT INTO `oc_order_product` SET `order_id` = 1042, `product_id` = 50, `name` = 'Cards', `quantity` = 1, `total` = '12.0000'");
        $db->query("INSERT INTO `oc_printgate_order_job` SET `order_id` = 1042, `order_product_id` = 1, `product_id` = 50, `job_id` = 'job_BC1'");
        $request->get = array('user_token' => 'tok123', 'order_id' => '1042');
        $infoRoute = 'sale/order_info';
        // The order page's own view data: payment extensions' tabs are already there.
        $infoData = array('tabs' => array(array('code' => 'cod', 'title' => 'COD', 'content' => 'cod tab')));
        $infoCode = '';
        $controller->orderInfo($infoRoute, $infoData, $infoCode);
        $r['order_info_tabs'] = $infoData['tabs'];
        $request->get = array('user_token' => 'tok123', 'order_id' => '999');
        $otherData = array();
        $controller->orderInfo($infoRoute, $otherData, $infoCode);
        $r['order_info_other'] = $otherData;
        $request->get = array('user_token' => 'tok123', 'order_id' => '1042');

        $request->get = array('order_id' => '1042', 'job_id' => 'job_BC1', 'run_id' => 'task_1');
        $response->headers = array();
        $controller->download();
        $r['download_without_token'] = array($response->headers, $response->output);
        $request->get = array('user_token' => 'tok123', 'order_id' => '1042', 'job_id' => 'job_OTHER', 'run_id' => 'task_1');
        $response->headers = array();
        $controller->download();
        $r['download_foreign'] = array($response->headers, $response->output);

        $controller->uninstall();
        $r['events_after_uninstall'] = $events->events;
        $r['tables_after_uninstall'] = array_keys($db->tables);
        $r['settings_after_uninstall'] = isset($settings->settings['module_printgate']) ? $settings->settings['module_printgate'] : null;
    }
    $r['requests'] = array_map(function ($request) {
        return $request['key'];
    }, $transport->requests);

    return $r;
}

/** The Printgate module class's hooks, as PrestaShop calls them. */
function prestashop_module(array $input)
{
    FakePs::$db = new FakeMysql();
    $transport = new RoutedTransport($input['routes']);
    $module = new Printgate();
    $property = new ReflectionProperty('Printgate', 'bridge');
    $property->setAccessible(true);
    $property->setValue($module, new PrintgatePrestashop($transport));
    $r = array('install' => $module->install(), 'hooks' => $module->hooks, 'tabs' => $module->tabs, 'url_after_install' => Configuration::get('PRINTGATE_URL'));
    foreach ($input['config'] as $key => $value) {
        Configuration::updateValue($key, $value);
    }
    $bridge = $module->bridge();
    $bridge->saveProduct(19, 'wf_poster', true);

    if ($input['action'] === 'ps_gate') {
        // Buffered like a web request, so the refusal can still send its Content-Type header.
        ob_start();
        $_GET = array('controller' => 'cart', 'add' => '1', 'ajax' => '1', 'id_product' => '7', 'token' => 'x');
        $module->hookActionDispatcherBefore(array('controller_type' => Dispatcher::FC_FRONT));
        echo "passed-7\n";
        $_GET['id_product'] = '19';
        $module->hookActionDispatcherBefore(array('controller_type' => Dispatcher::FC_ADMIN));
        echo "passed-admin\n";
        Dispatcher::$controller = 'product';
        $module->hookActionDispatcherBefore(array('controller_type' => Dispatcher::FC_FRONT));
        echo "passed-product-page\n";
        Dispatcher::$controller = 'cart';
        $module->hookActionDispatcherBefore(array('controller_type' => Dispatcher::FC_FRONT));
        echo "not-refused\n";

        return array();
    }

    $context = Context::getContext();
    $_GET = array('id_product' => '19');
    $module->hookActionFrontControllerSetMedia(array());
    $r['assets'] = $context->controller->assets;
    $r['js_def'] = Media::$jsDef;
    $r['widget_19'] = $module->hookDisplayProductAdditionalInfo(array('product' => array('id_product' => 19)));
    $r['widget_7'] = $module->hookDisplayProductAdditionalInfo(array('product' => array('id_product' => 7)));

    $_POST = array('printgate_job_id' => 'job_PO1');
    $module->hookActionCartUpdateQuantityBefore(array('cart' => (object) array('id' => 120), 'product' => (object) array('id' => 19),
        'id_product_attribute' => 0, 'id_customization' => 0, 'quantity' => 1, 'operator' => 'up'));
    $module->hookActionCartUpdateQuantityBefore(array('cart' => (object) array('id' => 120), 'product' => (object) array('id' => 7),
        'id_product_attribute' => 0, 'id_customization' => 0, 'quantity' => 1, 'operator' => 'up'));
    $_POST = array();
    $r['cart_jobs'] = FakePs::$db->query('SELECT * FROM `ps_printgate_cart_job`')->rows;

    FakePs::$customers[5] = array('firstname' => 'Jean', 'lastname' => 'Dupont', 'email' => 'jean@example.fr');
    FakePs::$orders[88] = array('id_cart' => 120, 'id_customer' => 5, 'id_currency' => 1, 'id_shop' => 1, 'id_lang' => 1,
        'total_paid_tax_incl' => '54.600000', 'details' => $input['details']);
    $awaiting = (object) array('name' => 'Awaiting bank wire payment');
    $module->hookActionValidateOrder(array('order' => new Order(88), 'orderStatus' => $awaiting));
    $module->hookActionOrderStatusPostUpdate(array('id_order' => 88, 'newOrderStatus' => $awaiting));
    $module->hookActionOrderStatusPostUpdate(array('id_order' => 88, 'newOrderStatus' => (object) array('name' => array(1 => 'Payment accepted'))));
    $r['order_jobs'] = $bridge->orderJobs(88);

    $r['admin_order'] = json_decode($module->hookDisplayAdminOrderMain(array('id_order' => 88)), true);
    $r['admin_order_empty'] = $module->hookDisplayAdminOrderMain(array('id_order' => 89));
    $r['admin_product'] = json_decode($module->hookDisplayAdminProductsExtra(array('id_product' => 19)), true);
    $module->hookActionProductDelete(array('id_product' => 19));
    $r['product_after_delete'] = $bridge->productRow(19);
    $r['requests'] = array_map(function ($request) {
        return array('key' => $request['key'], 'body' => $request['body']);
    }, $transport->requests);
    $r['uninstall'] = $module->uninstall();
    $r['tables_after_uninstall'] = array_keys(FakePs::$db->tables);

    return $r;
}

/** Run one PrestaShop controller of the module; controllers answer by exit(), so this never returns. */
function prestashop_controller(array $input)
{
    FakePs::$db = new FakeMysql();
    foreach ($input['config'] as $key => $value) {
        Configuration::updateValue($key, $value);
    }
    PrintgatePrestashop::install();
    $module = new Printgate();
    $property = new ReflectionProperty('Printgate', 'bridge');
    $property->setAccessible(true);
    $property->setValue($module, new PrintgatePrestashop(new RoutedTransport(isset($input['routes']) ? $input['routes'] : array())));
    FakePs::$module = $module;
    FakePs::$access = $input['access'];
    $_SERVER = $input['server'] + $_SERVER;
    $_GET = $input['get'];
    $_POST = $input['post'];
    if (isset($input['get']['key']) && $input['get']['key'] === '{cron}') {
        $_GET['key'] = $module->bridge()->cronKey();
    }
    $dir = $input['lib'] . '/../controllers/';
    if ($input['controller'] === 'AdminPrintgateFiles') {
        require $dir . 'admin/AdminPrintgateFilesController.php';
        $controller = new AdminPrintgateFilesController();
    } else {
        require $dir . 'front/' . $input['controller'] . '.php';
        $class = 'Printgate' . ucfirst($input['controller']) . 'ModuleFrontController';
        $controller = new $class();
    }
    ob_start();
    $controller->postProcess();
}

function client(array $input, FakeTransport $transport, Clock $clock)
{
    return new PrintgateApiClient($input['base'], $input['sk'], $input['secret'], $transport, $clock);
}

$out = array();
switch ($input['action']) {
    case 'sign':
        $signer = new PrintgateSigner($input['secret']);
        $out = $signer->headers($input['body'], isset($input['id']) ? $input['id'] : null, isset($input['timestamp']) ? $input['timestamp'] : null);
        break;

    case 'verify':
        $signer = new PrintgateSigner($input['secret']);
        try {
            $out = array('ok' => true, 'id' => $signer->verify($input['headers'], $input['body'], $input['now']));
        } catch (PrintgateSignatureException $e) {
            $out = array('ok' => false, 'error' => $e->getMessage());
        }
        break;

    case 'callback':
        // Several deliveries against one replay store, as one shop would receive them.
        $replay = new PrintgateMemoryReplayStore();
        $clock = new Clock($input['now']);
        $callback = new PrintgateCallback(new PrintgateSigner($input['secret']), $replay, $clock);
        foreach ($input['deliveries'] as $delivery) {
            try {
                $out[] = array('ok' => true, 'event' => $callback->handle($delivery['headers'], $delivery['body']));
            } catch (PrintgateCallbackException $e) {
                $out[] = array('ok' => false, 'status' => $e->status, 'error' => $e->getMessage());
            }
        }
        break;

    case 'order_opencart':
    case 'order_prestashop':
        $transport = new FakeTransport($input['script']);
        $clock = new Clock($input['now']);
        if ($input['action'] === 'order_opencart') {
            $body = PrintgateOrderBody::opencart($input['order'], $input['products'], $input['status'], $input['jobs'], $input['storeUrl']);
            $orderId = $input['order']['order_id'];
        } else {
            $body = PrintgateOrderBody::prestashop($input['order'], $input['details'], $input['customer'], $input['currency'], $input['status'], $input['jobs'], $input['storeUrl']);
            $orderId = $input['order']['id'];
        }
        $store = new PrintgateMemoryQueueStore();
        $sender = new PrintgateOrderSender(client($input, $transport, $clock), $store);
        $results = array($sender->send($orderId, $body));
        foreach ($input['later'] as $advance) {
            $clock->now += $advance;
            $results[] = $sender->flush();
        }
        $out = array('results' => $results, 'requests' => $transport->requests, 'queue' => array_values($store->rows));
        break;

    case 'supersede':
        // Two status changes while printgate is down, then it comes back.
        $transport = new FakeTransport($input['script']);
        $clock = new Clock($input['now']);
        $store = new PrintgateMemoryQueueStore();
        $sender = new PrintgateOrderSender(client($input, $transport, $clock), $store);
        $results = array();
        foreach ($input['bodies'] as $body) {
            $results[] = $sender->send($body['orderId'], $body);
            $clock->now += 5;
        }
        $clock->now += 3600;
        $results[] = $sender->flush();
        $out = array('results' => $results, 'requests' => $transport->requests, 'queue' => array_values($store->rows));
        break;

    case 'api':
        $transport = new FakeTransport($input['script']);
        $api = client($input, $transport, new Clock($input['now']));
        $result = array();
        try {
            if ($input['call'] === 'workflows') {
                $result = $api->listWorkflows();
            } elseif ($input['call'] === 'test') {
                $result = $api->testConnection();
            } elseif ($input['call'] === 'job') {
                $result = PrintgateFilesView::job($api->getJob($input['jobId']));
            } elseif ($input['call'] === 'download') {
                $data = '';
                $api->streamRunOutput($input['jobId'], $input['runId'], function ($chunk) use (&$data) {
                    $data .= $chunk;
                });
                $result = array('data' => $data);
            }
        } catch (PrintgateApiException $e) {
            $result = array('error' => $e->getMessage(), 'status' => $e->status);
        }
        $out = array('result' => $result, 'requests' => $transport->requests);
        break;

    case 'oc_html':
        // The OpenCart bridge's pure helpers: page injection, widget snippet, files panel.
        $page = $input['page'];
        $snippet = PrintgateOpencart::widgetSnippet($input['base'], $input['config']);
        $link = function ($method, array $params) {
            return 'index.php?route=extension/module/printgate/' . $method . '&user_token=tok&' . http_build_query($params);
        };
        $lines = array();
        foreach ($input['lines'] as $line) {
            $lines[] = array('row' => $line['row'], 'job' => PrintgateFilesView::job($line['job']), 'live' => $line['live']);
        }
        $out = array(
            'product' => PrintgateOpencart::injectAfterProductId($page, $snippet),
            'form' => PrintgateOpencart::injectIntoForm($page, 'form-product', '<p id="fields"></p>'),
            'snippet' => $snippet,
            'panel' => PrintgateOpencart::panelHtml($lines, $input['names'], $link, $input['labels'], 1042),
            'events3' => PrintgateOpencartAdmin::events('addOrderHistory', 'checkout/cart/add'),
            'events4' => PrintgateOpencartAdmin::events('addHistory', 'checkout/cart.add', '*'),
        );
        break;

    case 'content_type':
        // The type a download proxy sends: the origin's unless generic, else the file name's.
        $out = array();
        foreach ($input['cases'] as $case) {
            $out[] = PrintgateFilesView::contentType($case[0], $case[1]);
        }
        break;

    case 'curl':
        // The real cURL transport against a local HTTP server, through the API client and queue.
        $api = new PrintgateApiClient($input['base'], $input['sk'], $input['secret'], new PrintgateCurlTransport());
        $out = array('workflows' => $api->listWorkflows(), 'job' => $api->getJob('job_1'));
        $data = '';
        $sinkType = '';
        $response = $api->streamRunOutput('job_1', 'task_1', function ($chunk, $headers = array()) use (&$data, &$sinkType) {
            $data .= $chunk;
            $sinkType = isset($headers['content-type']) ? $headers['content-type'] : '';
        });
        $out['download'] = array('data' => $data, 'type' => isset($response->headers['content-type']) ? $response->headers['content-type'] : '');
        $out['sink_type'] = $sinkType;
        $store = new PrintgateMemoryQueueStore();
        $out['send'] = (new PrintgateOrderSender($api, $store))->send('1', array('orderId' => '1', 'status' => 'processing', 'items' => array()));
        $down = new PrintgateApiClient($input['down'], $input['sk'], $input['secret'], new PrintgateCurlTransport());
        $downStore = new PrintgateMemoryQueueStore();
        $out['send_down'] = (new PrintgateOrderSender($down, $downStore))->send('2', array('orderId' => '2', 'status' => 'processing', 'items' => array()));
        $out['down_error'] = $downStore->rows[1]['last_error'];
        try {
            $api->getJob('job_missing');
        } catch (PrintgateApiException $e) {
            $out['missing'] = array($e->status, $e->getMessage());
        }
        break;

    case 'oc_triggers':
        // OpenCart's own matching (system/engine/event.php): the stored trigger minus its
        // application prefix, "*" -> ".*", anchored at the start, against the fired event name.
        $events = array(3 => PrintgateOpencartAdmin::events('addOrderHistory', 'checkout/cart/add'),
            4 => PrintgateOpencartAdmin::events('addHistory', 'checkout/cart.add', '*'));
        $out = array();
        foreach ($events as $version => $list) {
            foreach ($list as $code => $event) {
                $trigger = preg_replace('#^(catalog|admin)/#', '', $event[0]);
                $pattern = '/^' . str_replace(array('\\*', '\\?'), array('.*', '.'), preg_quote($trigger, '/')) . '/';
                foreach ($input['fired'] as $fired) {
                    if (preg_match($pattern, $fired)) {
                        $out[$version][$code][] = $fired;
                    }
                }
            }
        }
        break;

    case 'oc_settings':
        $saved = $input['saved'];
        list($settings, $errors) = PrintgateOpencartAdmin::settingsFromPost($input['post'], function ($key) use ($saved) {
            return isset($saved[$key]) ? $saved[$key] : '';
        });
        $out = array('settings' => $settings, 'errors' => $errors);
        break;

    case 'oc_flow':
        require_once __DIR__ . '/FakeOpencart.php';
        $out = opencart_flow($input);
        break;

    case 'ps_flow':
        require_once __DIR__ . '/FakePrestashop.php';
        require_once $input['lib'] . '/../classes/PrintgatePrestashop.php';
        $out = prestashop_flow($input);
        break;

    case 'oc_catalog':
    case 'oc_admin':
        require_once __DIR__ . '/FakeOpencartApp.php';
        require_once __DIR__ . '/oc4stub/Controller.php';
        $out = opencart_controllers($input);
        break;

    case 'ps_controller':
        require_once __DIR__ . '/FakePrestashop.php';
        require_once $input['lib'] . '/../printgate.php';
        prestashop_controller($input);
        fwrite(STDERR, 'the controller did not exit');
        exit(3);

    case 'ps_module':
    case 'ps_gate':
        require_once __DIR__ . '/FakePrestashop.php';
        require_once $input['lib'] . '/../printgate.php';
        $out = prestashop_module($input);
        break;

    default:
        fwrite(STDERR, 'unknown action');
        exit(2);
}

echo "\n--JSON--\n" . json_encode($out, JSON_UNESCAPED_SLASHES);
