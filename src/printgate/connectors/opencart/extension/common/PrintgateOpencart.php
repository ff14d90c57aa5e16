<?php

/**
 * Everything the OpenCart 3 and OpenCart 4 controllers share: settings, tables, the product-page
 * widget, carrying the jobId from cart line to order line, the signed order call, the callback,
 * and the admin order panel with its server-side file proxy.
 *
 * The version-specific controllers only translate OpenCart's calling conventions (routes, event
 * registration, view names) and delegate here. Works on PHP 7.1+ (OC 3) and 8.x (OC 4).
 */

require_once __DIR__ . '/autoload.php';
require_once __DIR__ . '/PrintgateOpencartDb.php';

class PrintgateOpencart
{
    public const SETTING = 'module_printgate';
    public const JOB_ID_PATTERN = '/^[A-Za-z0-9_-]{1,64}$/';

    /** @var object OpenCart registry */
    private $registry;
    /** @var array{route:string,sep:string} */
    private $routes;
    /** @var PrintgateTransport|null */
    private $transport;
    /** @var array<string,bool> schema probes: "table.column" => exists */
    private $columns = array();

    /**
     * @param object $registry OpenCart's registry (db, config, session, request, cart, url)
     * @param string $route the extension's route: extension/module/printgate (OC 3) or
     *        extension/printgate/module/printgate (OC 4)
     * @param string $sep method separator in routes: "/" (OC 3) or "." (OC 4.0.2+)
     */
    public function __construct($registry, $route, $sep, PrintgateTransport $transport = null)
    {
        $this->registry = $registry;
        $this->routes = array('route' => $route, 'sep' => $sep);
        $this->transport = $transport;
    }

    private function get($name)
    {
        return $this->registry->get($name);
    }

    private function t($prefix)
    {
        return DB_PREFIX . $prefix;
    }

    // ---- settings and clients -------------------------------------------------------------

    public function setting($key, $default = '')
    {
        $value = $this->get('config')->get(self::SETTING . '_' . $key);

        return $value === null || $value === '' ? $default : $value;
    }

    public function baseUrl()
    {
        return rtrim((string) $this->setting('url', PrintgateApiClient::DEFAULT_BASE_URL), '/');
    }

    public function client(array $override = array())
    {
        $get = function ($key, $default = '') use ($override) {
            return array_key_exists($key, $override) ? $override[$key] : $this->setting($key, $default);
        };

        return new PrintgateApiClient(
            $get('url', PrintgateApiClient::DEFAULT_BASE_URL),
            $get('secret_key'),
            $get('webhook_secret'),
            $this->transport()
        );
    }

    /** The HTTP transport: given, or a `printgate_transport` registry entry (a proxy, a test), else cURL. */
    private function transport()
    {
        if ($this->transport === null) {
            $fromRegistry = $this->get('printgate_transport');
            $this->transport = $fromRegistry instanceof PrintgateTransport ? $fromRegistry : new PrintgateCurlTransport();
        }

        return $this->transport;
    }

    public function db()
    {
        return new PrintgateOpencartDb($this->get('db'));
    }

    public function sender()
    {
        return new PrintgateOrderSender($this->client(), new PrintgateSqlQueueStore($this->db(), $this->t('printgate_queue')));
    }

    /** The key a cron job passes to the retry route; derived from the whsec secret. */
    public function cronKey()
    {
        return substr(hash_hmac('sha256', 'printgate-cron', (string) $this->setting('webhook_secret')), 0, 32);
    }

    // ---- schema ------------------------------------------------------------------------------

    public function install()
    {
        $db = $this->get('db');
        $db->query('CREATE TABLE IF NOT EXISTS `' . $this->t('printgate_product') . '` ('
            . '`product_id` INT(11) NOT NULL,'
            . "`workflow_id` VARCHAR(64) NOT NULL DEFAULT '',"
            . '`required` TINYINT(1) NOT NULL DEFAULT 1,'
            . 'PRIMARY KEY (`product_id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4');
        $db->query('CREATE TABLE IF NOT EXISTS `' . $this->t('printgate_cart_job') . '` ('
            . '`cart_id` INT(11) NOT NULL,'
            . '`product_id` INT(11) NOT NULL,'
            . '`job_id` VARCHAR(64) NOT NULL,'
            . '`date_added` DATETIME NOT NULL,'
            . 'PRIMARY KEY (`cart_id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4');
        $db->query('CREATE TABLE IF NOT EXISTS `' . $this->t('printgate_order_job') . '` ('
            . '`order_id` INT(11) NOT NULL,'
            . '`order_product_id` INT(11) NOT NULL,'
            . '`product_id` INT(11) NOT NULL,'
            . '`job_id` VARCHAR(64) NOT NULL,'
            . "`status` VARCHAR(32) NOT NULL DEFAULT '',"
            . '`files` MEDIUMTEXT NULL,'
            . '`date_updated` DATETIME NULL,'
            . 'PRIMARY KEY (`order_product_id`), KEY `order_id` (`order_id`), KEY `job_id` (`job_id`)'
            . ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4');
        $db->query(PrintgateSqlQueueStore::createSql($this->t('printgate_queue')));
        $db->query(PrintgateSqlReplayStore::createSql($this->t('printgate_webhook_seen')));
    }

    public function uninstall()
    {
        foreach (array('printgate_product', 'printgate_cart_job', 'printgate_order_job', 'printgate_queue', 'printgate_webhook_seen') as $table) {
            $this->get('db')->query('DROP TABLE IF EXISTS `' . $this->t($table) . '`');
        }
    }

    // ---- products ------------------------------------------------------------------------------

    /** @return array{workflow_id:string,required:bool}|null null when the widget is off for the product */
    public function productSetup($productId)
    {
        if (!$this->setting('status') || $this->setting('publishable_key') === '') {
            return null;
        }
        $rows = $this->db()->rows('SELECT * FROM `' . $this->t('printgate_product') . '` WHERE `product_id` = ' . (int) $productId);
        $workflow = $rows ? (string) $rows[0]['workflow_id'] : '';
        $required = $rows ? (bool) $rows[0]['required'] : true;
        if ($workflow === 'none') {
            return null;
        }
        if ($workflow === '') {
            if (!$rows && !$this->setting('all_products')) {
                return null;
            }
            $workflow = (string) $this->setting('default_workflow');
        }

        return $workflow === '' ? null : array('workflow_id' => $workflow, 'required' => $required);
    }

    public function productRow($productId)
    {
        $rows = $this->db()->rows('SELECT * FROM `' . $this->t('printgate_product') . '` WHERE `product_id` = ' . (int) $productId);

        return $rows ? $rows[0] : array('product_id' => (int) $productId, 'workflow_id' => '', 'required' => 1);
    }

    public function saveProduct($productId, $workflowId, $required)
    {
        $workflowId = (string) $workflowId;
        if ($workflowId !== '' && $workflowId !== 'none' && !preg_match(self::JOB_ID_PATTERN, $workflowId)) {
            $workflowId = '';
        }
        $this->get('db')->query('REPLACE INTO `' . $this->t('printgate_product') . '` SET `product_id` = ' . (int) $productId
            . ", `workflow_id` = '" . $this->get('db')->escape($workflowId) . "', `required` = " . ($required ? 1 : 0));
    }

    public function deleteProduct($productId)
    {
        $this->get('db')->query('DELETE FROM `' . $this->t('printgate_product') . '` WHERE `product_id` = ' . (int) $productId);
    }

    /** @return array<int,array{id:string,name:string}> workflows for dropdowns; empty when printgate is unreachable */
    public function workflowOptions()
    {
        if ($this->setting('secret_key') === '') {
            return array();
        }
        try {
            $list = $this->client()->listWorkflows();
        } catch (PrintgateApiException $e) {
            return array();
        }
        $out = array();
        foreach ($list as $workflow) {
            if (is_array($workflow) && isset($workflow['id'])) {
                $out[] = array('id' => (string) $workflow['id'], 'name' => isset($workflow['name']) ? (string) $workflow['name'] : (string) $workflow['id']);
            }
        }

        return $out;
    }

    /** The per-product fields injected into the admin product form. */
    public function productFieldsHtml($productId, $labels)
    {
        $row = $this->productRow($productId);
        $options = '<option value="">' . self::h($labels['inherit']) . '</option>'
            . '<option value="none"' . ($row['workflow_id'] === 'none' ? ' selected' : '') . '>' . self::h($labels['off']) . '</option>';
        $known = false;
        foreach ($this->workflowOptions() as $workflow) {
            $selected = $row['workflow_id'] === $workflow['id'];
            $known = $known || $selected;
            $options .= '<option value="' . self::h($workflow['id']) . '"' . ($selected ? ' selected' : '') . '>' . self::h($workflow['name']) . '</option>';
        }
        if (!$known && !in_array($row['workflow_id'], array('', 'none'), true)) {
            $options .= '<option value="' . self::h($row['workflow_id']) . '" selected>' . self::h($row['workflow_id']) . '</option>';
        }

        return '<fieldset id="printgate-product" class="printgate-product mb-3"><legend>' . self::h($labels['legend']) . '</legend>'
            . '<div class="form-group row mb-3"><label class="col-sm-2 control-label col-form-label" for="input-printgate-workflow">'
            . self::h($labels['workflow']) . '</label><div class="col-sm-10"><select name="printgate_workflow_id" id="input-printgate-workflow" class="form-control form-select">'
            . $options . '</select></div></div>'
            . '<div class="form-group row mb-3"><div class="col-sm-10 col-sm-offset-2 offset-sm-2"><label><input type="hidden" name="printgate_required" value="0">'
            . '<input type="checkbox" name="printgate_required" value="1"' . ($row['required'] ? ' checked' : '') . '> '
            . self::h($labels['required']) . '</label></div></div></fieldset>';
    }

    // ---- storefront ----------------------------------------------------------------------------

    public function sessionToken()
    {
        $session = $this->get('session');
        if (empty($session->data['printgate_token'])) {
            $session->data['printgate_token'] = bin2hex(random_bytes(16));
        }

        return $session->data['printgate_token'];
    }

    /** The widget snippet placed inside the product form, next to the product_id field. */
    public function widgetHtml($productId, $saveUrl, $messages)
    {
        $setup = $this->productSetup($productId);
        if ($setup === null) {
            return '';
        }
        $base = $this->baseUrl();
        $config = array(
            'mount' => array(
                'publishableKey' => (string) $this->setting('publishable_key'),
                'workflowId' => $setup['workflow_id'],
                'apiBase' => $base,
                'mountSelector' => '#printgate-widget',
                'cartButtonSelector' => '#button-cart',
                'fieldName' => 'printgate_job_id',
            ),
            'productId' => (int) $productId,
            'required' => $setup['required'],
            'saveUrl' => html_entity_decode($saveUrl, ENT_QUOTES, 'UTF-8'),
            'token' => $this->sessionToken(),
            'messages' => $messages,
        );

        return self::widgetSnippet($base, $config);
    }

    /** Mount point, hidden jobId field, widget loader and the AJAX save, as one HTML snippet. */
    public static function widgetSnippet($base, array $config)
    {
        $json = json_encode($config, JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_APOS | JSON_HEX_QUOT | JSON_UNESCAPED_SLASHES);

        return "\n" . '<div id="printgate-widget" class="printgate-widget"></div>'
            . '<input type="hidden" name="printgate_job_id" id="printgate-job-id" value="">'
            . '<div id="error-printgate" class="printgate-error text-danger invalid-feedback" role="alert"></div>'
            . '<link rel="stylesheet" href="' . self::h($base . '/widget/v1/printgate.css') . '">'
            . '<script src="' . self::h($base . '/widget/v1/printgate.js') . '" async></script>'
            . '<script>(function () {'
            . 'var cfg = ' . $json . ';'
            . 'var field = document.getElementById("printgate-job-id"), saved = "", started = Date.now();'
            . 'function showError(msg) { var box = document.getElementById("error-printgate"); if (box) { box.textContent = msg || ""; box.style.display = msg ? "block" : "none"; } }'
            . 'function save(jobId) { if (!jobId || jobId === saved || !window.fetch) { return; } saved = jobId;'
            . ' var body = new URLSearchParams(); body.append("product_id", cfg.productId); body.append("job_id", jobId); body.append("token", cfg.token);'
            . ' fetch(cfg.saveUrl, {method: "POST", credentials: "same-origin", body: body}).catch(function () { saved = ""; }); }'
            . 'setInterval(function () { if (field && field.value) { save(field.value); } }, 500);'
            . 'if (window.jQuery) { window.jQuery(document).ajaxComplete(function (e, xhr) { var j = xhr && xhr.responseJSON;'
            . ' if (j && j.error && j.error.printgate) { showError(j.error.printgate); } }); }'
            . '(function tick() {'
            . ' if (window.Printgate && window.Printgate.mount) { var el = window.Printgate.mount(cfg.mount);'
            . '  if (el && el.on) { el.on("status", function (e) { if (field) { field.value = e.canProceed && e.jobId ? e.jobId : ""; } if (e.canProceed && e.jobId) { save(e.jobId); } }); }'
            . '  return; }'
            . ' if (Date.now() - started < 10000) { setTimeout(tick, 50); } else { showError(cfg.messages.unavailable); }'
            . '})();'
            . '})();</script>' . "\n";
    }

    /** AJAX save: remember the product's validated jobId in the session until it goes into the cart. */
    public function saveJob(array $post)
    {
        $token = isset($post['token']) ? (string) $post['token'] : '';
        $session = $this->get('session');
        if (empty($session->data['printgate_token']) || !hash_equals($session->data['printgate_token'], $token)) {
            return array('status' => 403, 'body' => array('error' => 'invalid token'));
        }
        $productId = isset($post['product_id']) ? (int) $post['product_id'] : 0;
        $jobId = isset($post['job_id']) ? (string) $post['job_id'] : '';
        if ($productId <= 0 || !preg_match(self::JOB_ID_PATTERN, $jobId)) {
            return array('status' => 400, 'body' => array('error' => 'invalid product or job'));
        }
        if (!isset($session->data['printgate_jobs']) || !is_array($session->data['printgate_jobs'])) {
            $session->data['printgate_jobs'] = array();
        }
        $session->data['printgate_jobs'][$productId] = $jobId;

        return array('status' => 200, 'body' => array('success' => true));
    }

    /**
     * After checkout/cart add: tie the jobId to the cart line, or undo the add when the product
     * requires a validated file and none (or one that cannot proceed) came with it.
     *
     * @return string|null an error message for the shopper, null when the add stands
     */
    public function afterCartAdd(array $post, $messages)
    {
        $productId = isset($post['product_id']) ? (int) $post['product_id'] : 0;
        $setup = $this->productSetup($productId);
        $session = $this->get('session');
        $jobId = isset($post['printgate_job_id']) ? trim((string) $post['printgate_job_id']) : '';
        if ($jobId === '' && isset($session->data['printgate_jobs'][$productId])) {
            $jobId = (string) $session->data['printgate_jobs'][$productId];
        }
        if (!preg_match(self::JOB_ID_PATTERN, $jobId)) {
            $jobId = '';
        }
        $line = $this->latestCartLine($productId);
        if ($setup === null || $line === null) {
            return null;
        }
        $error = null;
        if ($jobId === '' && $setup['required']) {
            $error = $messages['required'];
        } elseif ($jobId !== '') {
            try {
                $job = $this->client()->getJob($jobId);
                if (empty($job['canProceed'])) {
                    $error = $messages['not_ready'];
                }
            } catch (PrintgateApiException $e) {
                // printgate re-checks every job when the order is captured; an outage must not stop sales.
                if ($e->status === 404) {
                    $error = $messages['not_ready'];
                }
            }
        }
        if ($error !== null) {
            $quantity = isset($post['quantity']) ? max(1, (int) $post['quantity']) : 1;
            $cart = $this->get('cart');
            if ((int) $line['quantity'] - $quantity > 0) {
                $cart->update($line['cart_id'], (int) $line['quantity'] - $quantity);
            } else {
                $cart->remove($line['cart_id']);
            }

            return $error;
        }
        if ($jobId !== '') {
            $this->get('db')->query('REPLACE INTO `' . $this->t('printgate_cart_job') . '` SET `cart_id` = ' . (int) $line['cart_id']
                . ', `product_id` = ' . $productId . ", `job_id` = '" . $this->get('db')->escape($jobId) . "', `date_added` = NOW()");
            unset($session->data['printgate_jobs'][$productId]);
        }

        return null;
    }

    /**
     * The cart line the add just wrote or topped up, read through OpenCart's own cart (its columns
     * differ between versions: 3.x keys lines by api_id, 4.1 by store_id).
     *
     * @return array{cart_id:int,quantity:int}|null
     */
    private function latestCartLine($productId)
    {
        $cart = $this->get('cart');
        if (!$cart) {
            return null;
        }
        $latest = null;
        foreach ($cart->getProducts() as $line) {
            if ((int) $line['product_id'] === (int) $productId && ($latest === null || (int) $line['cart_id'] > $latest['cart_id'])) {
                $latest = array('cart_id' => (int) $line['cart_id'], 'quantity' => (int) $line['quantity']);
            }
        }

        return $latest;
    }

    /** Whether the store's table has the column (OpenCart 4.1 dropped some, e.g. product.sku). */
    public function hasColumn($table, $column)
    {
        $key = $table . '.' . $column;
        if (!isset($this->columns[$key])) {
            $rows = $this->db()->rows('SHOW COLUMNS FROM `' . $this->t($table) . "` LIKE '" . $this->db()->esc($column) . "'");
            $this->columns[$key] = count($rows) > 0;
        }

        return $this->columns[$key];
    }

    /**
     * After addOrder / editOrder: copy each cart line's jobId onto the order line. Order lines are
     * written in cart order, so they are matched to the cart by position and product.
     */
    public function mapOrder($orderId)
    {
        $orderId = (int) $orderId;
        $cart = $this->get('cart');
        if (!$orderId || !$cart) {
            return;
        }
        $cartLines = $cart->getProducts();
        if (!$cartLines) {
            return;
        }
        $ids = array();
        foreach ($cartLines as $line) {
            $ids[] = (int) $line['cart_id'];
        }
        $jobs = array();
        foreach ($this->db()->rows('SELECT `cart_id`, `job_id` FROM `' . $this->t('printgate_cart_job') . '` WHERE `cart_id` IN (' . implode(',', $ids) . ')') as $row) {
            $jobs[(int) $row['cart_id']] = $row['job_id'];
        }
        if (!$jobs) {
            return;
        }
        $db = $this->get('db');
        $db->query('DELETE FROM `' . $this->t('printgate_order_job') . '` WHERE `order_id` = ' . $orderId);
        $orderLines = $this->db()->rows('SELECT `order_product_id`, `product_id` FROM `' . $this->t('order_product')
            . '` WHERE `order_id` = ' . $orderId . ' ORDER BY `order_product_id`');
        foreach ($orderLines as $orderLine) {
            foreach ($cartLines as $index => $cartLine) {
                if ((int) $cartLine['product_id'] !== (int) $orderLine['product_id']) {
                    continue;
                }
                unset($cartLines[$index]);
                if (isset($jobs[(int) $cartLine['cart_id']])) {
                    $db->query('INSERT INTO `' . $this->t('printgate_order_job') . '` SET `order_id` = ' . $orderId
                        . ', `order_product_id` = ' . (int) $orderLine['order_product_id']
                        . ', `product_id` = ' . (int) $orderLine['product_id']
                        . ", `job_id` = '" . $db->escape($jobs[(int) $cartLine['cart_id']]) . "', `date_updated` = NOW()");
                }
                break;
            }
        }
    }

    /** @return array<int,array<string,mixed>> */
    public function orderJobs($orderId)
    {
        return $this->db()->rows('SELECT * FROM `' . $this->t('printgate_order_job') . '` WHERE `order_id` = ' . (int) $orderId . ' ORDER BY `order_product_id`');
    }

    /** After addOrderHistory / addHistory: post the order's new state to printgate (queued on failure). */
    public function orderHistory($orderId, $orderStatusId)
    {
        $orderId = (int) $orderId;
        if (!$orderId || !(int) $orderStatusId || $this->setting('secret_key') === '' || $this->setting('webhook_secret') === '') {
            return null;
        }
        if (!$this->orderJobs($orderId)) {
            $this->mapOrder($orderId);
        }
        $rows = $this->orderJobs($orderId);
        if (!$rows && !$this->setting('send_all_orders')) {
            $this->sender()->flush();

            return null;
        }
        $orders = $this->db()->rows('SELECT * FROM `' . $this->t('order') . '` WHERE `order_id` = ' . $orderId);
        if (!$orders) {
            return null;
        }
        $order = $orders[0];
        $status = $this->db()->rows('SELECT `name` FROM `' . $this->t('order_status') . '` WHERE `order_status_id` = ' . (int) $orderStatusId
            . ' AND `language_id` = ' . (int) $order['language_id']);
        // OpenCart 3 has product.sku; 4.1 has none (the order body falls back to the line's model).
        $sku = $this->hasColumn('product', 'sku') ? ', p.`sku`' : '';
        $products = $this->db()->rows('SELECT op.*' . $sku . ' FROM `' . $this->t('order_product') . '` op LEFT JOIN `' . $this->t('product')
            . '` p ON (p.`product_id` = op.`product_id`) WHERE op.`order_id` = ' . $orderId . ' ORDER BY op.`order_product_id`');
        $jobs = self::jobsByLine($rows, $products);
        $storeUrl = !empty($order['store_url']) ? $order['store_url'] : (defined('HTTPS_SERVER') ? HTTPS_SERVER : HTTP_SERVER);
        $body = PrintgateOrderBody::opencart($order, $products, $status ? $status[0]['name'] : 'pending', $jobs, $storeUrl);

        return $this->sender()->send($orderId, $body);
    }

    /**
     * order_product_id => jobId. An admin edit of the order rewrites its lines with new ids: a job
     * whose line is gone goes to the first line of the same product that has none.
     */
    public static function jobsByLine(array $rows, array $products)
    {
        $lines = array();
        foreach ($products as $product) {
            $lines[(int) $product['order_product_id']] = (int) $product['product_id'];
        }
        $jobs = array();
        $orphans = array();
        foreach ($rows as $row) {
            if (isset($lines[(int) $row['order_product_id']])) {
                $jobs[(int) $row['order_product_id']] = $row['job_id'];
            } else {
                $orphans[] = $row;
            }
        }
        foreach ($orphans as $row) {
            foreach ($lines as $lineId => $productId) {
                if ($productId === (int) $row['product_id'] && !isset($jobs[$lineId])) {
                    $jobs[$lineId] = $row['job_id'];
                    break;
                }
            }
        }

        return $jobs;
    }

    /** Cron / opportunistic retry of queued order calls. */
    public function flushQueue()
    {
        if ($this->setting('secret_key') === '' || $this->setting('webhook_secret') === '') {
            return array('delivered' => 0, 'retrying' => 0, 'failed' => 0);
        }

        return $this->sender()->flush();
    }

    // ---- callback ------------------------------------------------------------------------------

    /**
     * printgate's signed callback: record the files per order line and leave a history comment.
     *
     * @return array{status:int,body:array}
     */
    public function callback(array $headers, $rawBody, $comment)
    {
        try {
            $signer = new PrintgateSigner($this->setting('webhook_secret'));
        } catch (PrintgateSignatureException $e) {
            return array('status' => 503, 'body' => array('error' => 'module not configured'));
        }
        $handler = new PrintgateCallback($signer, new PrintgateSqlReplayStore($this->db(), $this->t('printgate_webhook_seen')));
        try {
            $event = $handler->handle($headers, $rawBody);
        } catch (PrintgateCallbackException $e) {
            return array('status' => $e->status, 'body' => array('error' => $e->getMessage()));
        }
        if (!in_array($event['type'], PrintgateCallback::TYPES, true)) {
            return array('status' => 200, 'body' => array('ignored' => $event['type']));
        }
        $orderId = (int) $event['orderId'];
        $rows = $this->orderJobs($orderId);
        if (!$rows) {
            return array('status' => 404, 'body' => array('error' => 'unknown order'));
        }
        $db = $this->get('db');
        $names = array();
        foreach ($event['jobs'] as $job) {
            foreach ($rows as $row) {
                if ($row['job_id'] !== $job['jobId']) {
                    continue;
                }
                $db->query('UPDATE `' . $this->t('printgate_order_job') . "` SET `status` = '" . $db->escape($job['status'])
                    . "', `files` = '" . $db->escape(json_encode($job)) . "', `date_updated` = NOW() WHERE `order_product_id` = "
                    . (int) $row['order_product_id']);
                foreach ($job['runs'] as $run) {
                    $names[] = $run['name'];
                }
            }
        }
        if ($event['type'] === 'order.files_ready' || $names) {
            $order = $this->db()->rows('SELECT `order_status_id` FROM `' . $this->t('order') . '` WHERE `order_id` = ' . $orderId);
            $db->query('INSERT INTO `' . $this->t('order_history') . '` SET `order_id` = ' . $orderId
                . ', `order_status_id` = ' . ($order ? (int) $order[0]['order_status_id'] : 0)
                . ", `notify` = 0, `comment` = '" . $db->escape(sprintf($comment, implode(', ', $names))) . "', `date_added` = NOW()");
        }
        $this->flushQueue();

        return array('status' => 200, 'body' => array('ok' => true));
    }

    // ---- admin order panel and file proxy ----------------------------------------------------------

    /**
     * The order's printgate lines, live from printgate when it answers, else as last called back.
     *
     * @return array<int,array{row:array,job:array|null,live:bool}>
     */
    public function orderFiles($orderId)
    {
        $out = array();
        $client = $this->setting('secret_key') !== '' ? $this->client() : null;
        foreach ($this->orderJobs($orderId) as $row) {
            $job = null;
            $live = false;
            if ($client !== null) {
                try {
                    $job = PrintgateFilesView::job($client->getJob($row['job_id']));
                    $live = $job !== null;
                } catch (PrintgateApiException $e) {
                    $job = null;
                }
            }
            if ($job === null && !empty($row['files'])) {
                $job = PrintgateFilesView::job(json_decode($row['files'], true));
            }
            $out[] = array('row' => $row, 'job' => $job, 'live' => $live);
        }

        return $out;
    }

    /**
     * @param callable $link function (string $method, array $params): string admin URL with user_token
     * @param array<string,string> $labels
     */
    public function orderPanelHtml($orderId, $link, array $labels)
    {
        $lines = $this->orderFiles($orderId);
        if (!$lines) {
            return '';
        }
        $names = array();
        $byProduct = array();
        foreach ($this->db()->rows('SELECT `order_product_id`, `product_id`, `name` FROM `' . $this->t('order_product') . '` WHERE `order_id` = ' . (int) $orderId) as $p) {
            $names[(int) $p['order_product_id']] = $p['name'];
            $byProduct[(int) $p['product_id']] = $p['name'];
        }
        foreach ($lines as $line) {
            // A line rewritten by an admin edit is named after its product.
            $lineId = (int) $line['row']['order_product_id'];
            if (!isset($names[$lineId]) && isset($byProduct[(int) $line['row']['product_id']])) {
                $names[$lineId] = $byProduct[(int) $line['row']['product_id']];
            }
        }

        return self::panelHtml($lines, $names, $link, $labels, (int) $orderId);
    }

    /** The files panel (markup that reads well under OpenCart 3's Bootstrap 3 and OpenCart 4's Bootstrap 5). */
    public static function panelHtml(array $lines, array $names, $link, array $labels, $orderId)
    {
        $html = '<div class="printgate-panel panel panel-default card mb-3" id="printgate-order-files">'
            . '<div class="panel-heading card-header"><h3 class="panel-title card-title h5 mb-0">' . self::h($labels['title']) . '</h3></div>'
            . '<div class="table-responsive"><table class="table table-bordered table-sm mb-0"><thead><tr>'
            . '<th>' . self::h($labels['product']) . '</th><th>' . self::h($labels['job']) . '</th><th>' . self::h($labels['status']) . '</th>'
            . '<th>' . self::h($labels['files']) . '</th></tr></thead><tbody>';
        foreach ($lines as $line) {
            $row = $line['row'];
            $job = $line['job'];
            $lineId = (int) $row['order_product_id'];
            $status = $job ? trim($job['status'] . ($job['outcome'] !== '' ? ' / ' . $job['outcome'] : '')) : (string) $row['status'];
            $files = '';
            if ($job) {
                foreach ($job['runs'] as $run) {
                    $files .= '<div class="printgate-run" style="margin-bottom:6px">';
                    if ($run['thumbnail'] !== '') {
                        $src = call_user_func($link, 'thumbnail', array('order_id' => $orderId, 'job_id' => $job['jobId'], 'run_id' => $run['id']));
                        $files .= '<img class="printgate-thumbnail" src="' . self::h($src) . '" alt="' . self::h($labels['thumbnail']) . '" loading="lazy" style="max-width:120px;max-height:120px;border:1px solid #ddd;margin-right:8px;background:#fff">';
                    }
                    foreach ($run['proofs'] as $index => $unused) {
                        $src = call_user_func($link, 'proof', array('order_id' => $orderId, 'job_id' => $job['jobId'], 'run_id' => $run['id'], 'index' => $index));
                        $files .= '<img class="printgate-proof" src="' . self::h($src) . '" alt="' . self::h($labels['proof']) . '" loading="lazy" style="max-width:80px;max-height:80px;border:1px solid #ddd;margin-right:4px">';
                    }
                    $files .= ' <span>' . self::h($run['name']) . '</span> <small>' . self::h($run['outcome']) . '</small> ';
                    if ($run['hasOutput']) {
                        $href = call_user_func($link, 'download', array('order_id' => $orderId, 'job_id' => $job['jobId'], 'run_id' => $run['id']));
                        $files .= '<a class="btn btn-primary btn-sm" href="' . self::h($href) . '">' . self::h($labels['download']) . '</a>';
                    }
                    $files .= '</div>';
                }
                if (!$line['live']) {
                    $files .= '<small class="text-muted">' . self::h($labels['offline']) . '</small>';
                }
            } else {
                $files = '<small class="text-muted">' . self::h($labels['pending']) . '</small>';
            }
            $html .= '<tr><td>' . self::h(isset($names[$lineId]) ? html_entity_decode($names[$lineId], ENT_QUOTES, 'UTF-8') : '#' . $lineId) . '</td>'
                . '<td><code>' . self::h($row['job_id']) . '</code></td><td>' . self::h($status) . '</td><td>' . $files . '</td></tr>';
        }

        return $html . '</tbody></table></div></div>';
    }

    /**
     * Resolve a run of a job that belongs to the order, for the download and proof proxies.
     *
     * @return array{job:array,run:array}|null
     */
    public function resolveRun($orderId, $jobId, $runId)
    {
        foreach ($this->orderFiles($orderId) as $line) {
            if ($line['row']['job_id'] === (string) $jobId && $line['job'] !== null) {
                $run = PrintgateFilesView::run($line['job'], $runId);

                return $run === null ? null : array('job' => $line['job'], 'run' => $run);
            }
        }

        return null;
    }

    /**
     * Stream a run's output (or one of its proofs) to the browser; the sk and signed URLs stay here.
     *
     * @return bool false when the file is not this order's or printgate refused it
     */
    public function proxy($orderId, $jobId, $runId, $proofIndex = null)
    {
        $found = $this->resolveRun($orderId, $jobId, $runId);
        if ($found === null) {
            return false;
        }

        return PrintgateFilesView::stream($this->client(), $found['job'], $found['run'], $proofIndex);
    }

    // ---- helpers -------------------------------------------------------------------------------

    public static function h($value)
    {
        return htmlspecialchars((string) $value, ENT_QUOTES, 'UTF-8');
    }

    /** Insert $html right after the product_id hidden input of the product form. */
    public static function injectAfterProductId($output, $html)
    {
        $count = 0;
        $result = preg_replace('/(<input[^>]*name="product_id"[^>]*>)/i', '$1' . str_replace(array('\\', '$'), array('\\\\', '\\$'), $html), (string) $output, 1, $count);

        return $count ? $result : $output;
    }

    /** Insert $html before the closing tag of the form with the given id (admin product form). */
    public static function injectIntoForm($output, $formId, $html)
    {
        $start = strpos((string) $output, 'id="' . $formId . '"');
        if ($start === false) {
            return $output;
        }
        $end = strpos($output, '</form>', $start);
        if ($end === false) {
            return $output;
        }

        return substr($output, 0, $end) . $html . substr($output, $end);
    }
}
