<?php

/**
 * The PrestaShop side of printgate: settings, tables, cart line -> order line jobIds, the signed
 * order call with its queue, the callback, and the admin files panel data. The module class and
 * controllers stay thin and call this.
 */

if (!defined('_PS_VERSION_')) {
    exit;
}

require_once dirname(__DIR__) . '/lib/autoload.php';
require_once __DIR__ . '/PrintgatePrestashopDb.php';

class PrintgatePrestashop
{
    public const JOB_ID_PATTERN = '/^[A-Za-z0-9_-]{1,64}$/';
    public const CONFIG = array(
        'url' => 'PRINTGATE_URL',
        'publishable_key' => 'PRINTGATE_PUBLISHABLE_KEY',
        'secret_key' => 'PRINTGATE_SECRET_KEY',
        'webhook_secret' => 'PRINTGATE_WEBHOOK_SECRET',
        'default_workflow' => 'PRINTGATE_DEFAULT_WORKFLOW',
        'all_products' => 'PRINTGATE_ALL_PRODUCTS',
        'send_all_orders' => 'PRINTGATE_SEND_ALL_ORDERS',
    );
    public const TABLES = array('printgate_product', 'printgate_cart_job', 'printgate_order_job', 'printgate_queue', 'printgate_webhook_seen');

    /** @var PrintgateTransport|null */
    private $transport;

    public function __construct(PrintgateTransport $transport = null)
    {
        $this->transport = $transport;
    }

    private static function t($name)
    {
        return _DB_PREFIX_ . $name;
    }

    public function setting($key, $default = '')
    {
        $value = Configuration::get(self::CONFIG[$key]);

        return $value === false || $value === null || $value === '' ? $default : $value;
    }

    public function baseUrl()
    {
        return rtrim((string) $this->setting('url', PrintgateApiClient::DEFAULT_BASE_URL), '/');
    }

    public function client(array $override = array())
    {
        $pick = function ($key, $default = '') use ($override) {
            return array_key_exists($key, $override) ? $override[$key] : $this->setting($key, $default);
        };

        return new PrintgateApiClient(
            $pick('url', PrintgateApiClient::DEFAULT_BASE_URL),
            $pick('secret_key'),
            $pick('webhook_secret'),
            $this->transport !== null ? $this->transport : new PrintgateCurlTransport()
        );
    }

    public function db()
    {
        return new PrintgatePrestashopDb();
    }

    public function configured()
    {
        return $this->setting('secret_key') !== '' && $this->setting('webhook_secret') !== '';
    }

    public function sender()
    {
        return new PrintgateOrderSender($this->client(), new PrintgateSqlQueueStore($this->db(), self::t('printgate_queue')));
    }

    public function cronKey()
    {
        return substr(hash_hmac('sha256', 'printgate-cron', (string) $this->setting('webhook_secret')), 0, 32);
    }

    // ---- schema ------------------------------------------------------------------------------

    public static function installSql()
    {
        return array(
            'CREATE TABLE IF NOT EXISTS `' . self::t('printgate_product') . '` ('
                . '`id_product` INT(10) UNSIGNED NOT NULL,'
                . "`workflow_id` VARCHAR(64) NOT NULL DEFAULT '',"
                . '`required` TINYINT(1) UNSIGNED NOT NULL DEFAULT 1,'
                . 'PRIMARY KEY (`id_product`)) ENGINE=' . _MYSQL_ENGINE_ . ' DEFAULT CHARSET=utf8mb4',
            'CREATE TABLE IF NOT EXISTS `' . self::t('printgate_cart_job') . '` ('
                . '`id_cart` INT(10) UNSIGNED NOT NULL,'
                . '`id_product` INT(10) UNSIGNED NOT NULL,'
                . '`id_product_attribute` INT(10) UNSIGNED NOT NULL DEFAULT 0,'
                . '`id_customization` INT(10) UNSIGNED NOT NULL DEFAULT 0,'
                . '`job_id` VARCHAR(64) NOT NULL,'
                . '`date_add` DATETIME NOT NULL,'
                . 'PRIMARY KEY (`id_cart`, `id_product`, `id_product_attribute`, `id_customization`)'
                . ') ENGINE=' . _MYSQL_ENGINE_ . ' DEFAULT CHARSET=utf8mb4',
            'CREATE TABLE IF NOT EXISTS `' . self::t('printgate_order_job') . '` ('
                . '`id_order` INT(10) UNSIGNED NOT NULL,'
                . '`id_order_detail` INT(10) UNSIGNED NOT NULL,'
                . '`id_product` INT(10) UNSIGNED NOT NULL,'
                . '`job_id` VARCHAR(64) NOT NULL,'
                . "`status` VARCHAR(32) NOT NULL DEFAULT '',"
                . '`files` MEDIUMTEXT NULL,'
                . '`date_upd` DATETIME NULL,'
                . 'PRIMARY KEY (`id_order_detail`), KEY `id_order` (`id_order`), KEY `job_id` (`job_id`)'
                . ') ENGINE=' . _MYSQL_ENGINE_ . ' DEFAULT CHARSET=utf8mb4',
            str_replace('ENGINE=InnoDB', 'ENGINE=' . _MYSQL_ENGINE_, PrintgateSqlQueueStore::createSql(self::t('printgate_queue'))),
            str_replace('ENGINE=InnoDB', 'ENGINE=' . _MYSQL_ENGINE_, PrintgateSqlReplayStore::createSql(self::t('printgate_webhook_seen'))),
        );
    }

    public static function install()
    {
        foreach (self::installSql() as $sql) {
            if (!Db::getInstance()->execute($sql)) {
                return false;
            }
        }

        return true;
    }

    public static function uninstall()
    {
        $ok = true;
        foreach (self::TABLES as $table) {
            $ok = Db::getInstance()->execute('DROP TABLE IF EXISTS `' . self::t($table) . '`') && $ok;
        }
        foreach (self::CONFIG as $name) {
            Configuration::deleteByName($name);
        }

        return $ok;
    }

    // ---- products ------------------------------------------------------------------------------

    public function productRow($productId)
    {
        $rows = $this->db()->rows('SELECT * FROM `' . self::t('printgate_product') . '` WHERE `id_product` = ' . (int) $productId);

        return $rows ? $rows[0] : array('id_product' => (int) $productId, 'workflow_id' => '', 'required' => 1);
    }

    /** @return array{workflow_id:string,required:bool}|null */
    public function productSetup($productId)
    {
        if ($this->setting('publishable_key') === '') {
            return null;
        }
        $rows = $this->db()->rows('SELECT * FROM `' . self::t('printgate_product') . '` WHERE `id_product` = ' . (int) $productId);
        $workflow = $rows ? (string) $rows[0]['workflow_id'] : '';
        if ($workflow === 'none') {
            return null;
        }
        if ($workflow === '') {
            if (!$rows && !$this->setting('all_products')) {
                return null;
            }
            $workflow = (string) $this->setting('default_workflow');
        }

        return $workflow === '' ? null : array('workflow_id' => $workflow, 'required' => $rows ? (bool) $rows[0]['required'] : true);
    }

    public function saveProduct($productId, $workflowId, $required)
    {
        $workflowId = (string) $workflowId;
        if ($workflowId !== '' && $workflowId !== 'none' && !preg_match(self::JOB_ID_PATTERN, $workflowId)) {
            return false;
        }

        return Db::getInstance()->execute('REPLACE INTO `' . self::t('printgate_product') . '` SET `id_product` = ' . (int) $productId
            . ", `workflow_id` = '" . pSQL($workflowId) . "', `required` = " . ($required ? 1 : 0));
    }

    public function deleteProduct($productId)
    {
        Db::getInstance()->delete('printgate_product', '`id_product` = ' . (int) $productId);
    }

    /** @return array<int,array{id:string,name:string}> */
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

    // ---- storefront ----------------------------------------------------------------------------

    /** Jobs saved by the product-page AJAX call, per product, in the visitor's cookie. */
    public static function savedJobs(Context $context)
    {
        $jobs = json_decode((string) $context->cookie->printgate_jobs, true);

        return is_array($jobs) ? $jobs : array();
    }

    public static function saveJob(Context $context, $productId, $jobId)
    {
        if ((int) $productId <= 0 || !preg_match(self::JOB_ID_PATTERN, (string) $jobId)) {
            return false;
        }
        $jobs = self::savedJobs($context);
        $jobs[(int) $productId] = (string) $jobId;
        $context->cookie->printgate_jobs = json_encode(array_slice($jobs, -20, null, true));
        $context->cookie->write();

        return true;
    }

    /** The jobId that comes with an add-to-cart: the posted hidden field, else the AJAX-saved one. */
    public static function incomingJob(Context $context, $productId)
    {
        $jobId = trim((string) Tools::getValue('printgate_job_id'));
        if ($jobId === '') {
            $jobs = self::savedJobs($context);
            $jobId = isset($jobs[(int) $productId]) ? (string) $jobs[(int) $productId] : '';
        }

        return preg_match(self::JOB_ID_PATTERN, $jobId) ? $jobId : '';
    }

    /**
     * Server-side gate for add to cart.
     *
     * @return string|null 'required' or 'not_ready' when the add must be refused
     */
    public function refusal($productId, $jobId)
    {
        $setup = $this->productSetup($productId);
        if ($setup === null) {
            return null;
        }
        if ($jobId === '') {
            return $setup['required'] ? 'required' : null;
        }
        try {
            $job = $this->client()->getJob($jobId);

            return empty($job['canProceed']) ? 'not_ready' : null;
        } catch (PrintgateApiException $e) {
            // printgate re-checks every job when the order is captured; an outage must not stop sales.
            return $e->status === 404 ? 'not_ready' : null;
        }
    }

    public function rememberCartLine($cartId, $productId, $attributeId, $customizationId, $jobId)
    {
        Db::getInstance()->execute('REPLACE INTO `' . self::t('printgate_cart_job') . '` SET `id_cart` = ' . (int) $cartId
            . ', `id_product` = ' . (int) $productId . ', `id_product_attribute` = ' . (int) $attributeId
            . ', `id_customization` = ' . (int) $customizationId . ", `job_id` = '" . pSQL($jobId) . "', `date_add` = NOW()");
    }

    /** actionValidateOrder: copy each cart line's jobId onto its order detail. */
    public function mapOrder(Order $order)
    {
        $jobs = array();
        foreach ($this->db()->rows('SELECT * FROM `' . self::t('printgate_cart_job') . '` WHERE `id_cart` = ' . (int) $order->id_cart) as $row) {
            $jobs[$row['id_product'] . '-' . $row['id_product_attribute'] . '-' . $row['id_customization']] = $row['job_id'];
            $jobs[$row['id_product'] . '-' . $row['id_product_attribute']] = $row['job_id'];
        }
        if (!$jobs) {
            return;
        }
        foreach ($order->getOrderDetailList() as $detail) {
            $key = $detail['product_id'] . '-' . $detail['product_attribute_id'];
            $customization = isset($detail['id_customization']) ? (int) $detail['id_customization'] : 0;
            $job = isset($jobs[$key . '-' . $customization]) ? $jobs[$key . '-' . $customization] : (isset($jobs[$key]) ? $jobs[$key] : '');
            if ($job === '') {
                continue;
            }
            Db::getInstance()->execute('REPLACE INTO `' . self::t('printgate_order_job') . '` SET `id_order` = ' . (int) $order->id
                . ', `id_order_detail` = ' . (int) $detail['id_order_detail'] . ', `id_product` = ' . (int) $detail['product_id']
                . ", `job_id` = '" . pSQL($job) . "', `date_upd` = NOW()");
        }
    }

    public function orderJobs($orderId)
    {
        return $this->db()->rows('SELECT * FROM `' . self::t('printgate_order_job') . '` WHERE `id_order` = ' . (int) $orderId . ' ORDER BY `id_order_detail`');
    }

    /** Post the order's current state to printgate (queued when it is down). */
    public function sendOrder(Order $order, $statusName)
    {
        if (!Validate::isLoadedObject($order) || !$this->configured()) {
            return null;
        }
        $jobs = array();
        foreach ($this->orderJobs($order->id) as $row) {
            $jobs[(int) $row['id_order_detail']] = $row['job_id'];
        }
        if (!$jobs && !$this->setting('send_all_orders')) {
            $this->sender()->flush();

            return null;
        }
        $customer = new Customer((int) $order->id_customer);
        $currency = new Currency((int) $order->id_currency);
        $fields = $order->getFields();
        $fields['id'] = (int) $order->id;
        $body = PrintgateOrderBody::prestashop(
            $fields,
            $order->getOrderDetailList(),
            array('id' => (int) $customer->id, 'firstname' => $customer->firstname, 'lastname' => $customer->lastname, 'email' => $customer->email),
            $currency->iso_code,
            $statusName,
            $jobs,
            Context::getContext()->shop->getBaseURL(true)
        );

        return $this->sender()->send((int) $order->id, $body);
    }

    public function flushQueue()
    {
        return $this->configured() ? $this->sender()->flush() : array('delivered' => 0, 'retrying' => 0, 'failed' => 0);
    }

    // ---- callback ------------------------------------------------------------------------------

    /**
     * @param callable $message function (Order $order, string[] $fileNames): void adds the order message
     * @return array{status:int,body:array}
     */
    public function callback(array $headers, $rawBody, $message)
    {
        try {
            $signer = new PrintgateSigner($this->setting('webhook_secret'));
        } catch (PrintgateSignatureException $e) {
            return array('status' => 503, 'body' => array('error' => 'module not configured'));
        }
        $handler = new PrintgateCallback($signer, new PrintgateSqlReplayStore($this->db(), self::t('printgate_webhook_seen')));
        try {
            $event = $handler->handle($headers, $rawBody);
        } catch (PrintgateCallbackException $e) {
            return array('status' => $e->status, 'body' => array('error' => $e->getMessage()));
        }
        if (!in_array($event['type'], PrintgateCallback::TYPES, true)) {
            return array('status' => 200, 'body' => array('ignored' => $event['type']));
        }
        $rows = $this->orderJobs((int) $event['orderId']);
        $order = new Order((int) $event['orderId']);
        if (!$rows || !Validate::isLoadedObject($order)) {
            return array('status' => 404, 'body' => array('error' => 'unknown order'));
        }
        $names = array();
        foreach ($event['jobs'] as $job) {
            foreach ($rows as $row) {
                if ($row['job_id'] !== $job['jobId']) {
                    continue;
                }
                Db::getInstance()->update('printgate_order_job', array(
                    'status' => pSQL($job['status']),
                    'files' => pSQL(json_encode($job), true),
                    'date_upd' => date('Y-m-d H:i:s'),
                ), '`id_order_detail` = ' . (int) $row['id_order_detail']);
                foreach ($job['runs'] as $run) {
                    $names[] = $run['name'];
                }
            }
        }
        if ($event['type'] === 'order.files_ready' || $names) {
            call_user_func($message, $order, $names);
        }
        $this->flushQueue();

        return array('status' => 200, 'body' => array('ok' => true));
    }

    /**
     * A private message on the order from the shop's side: PrestaShop shows a message with an
     * employee as written by that employee (and one without as written by the customer), and
     * `private` keeps it off the customer's account page. It is posted in the name of the shop's
     * first active SuperAdmin, the employee the shop's own back office acts for.
     */
    public static function addOrderMessage(Order $order, $text)
    {
        $customer = new Customer((int) $order->id_customer);
        $threadId = (int) CustomerThread::getIdCustomerThreadByEmailAndIdOrder($customer->email, (int) $order->id);
        if (!$threadId) {
            $thread = new CustomerThread();
            $thread->id_contact = 0;
            $thread->id_customer = (int) $order->id_customer;
            $thread->id_shop = (int) $order->id_shop;
            $thread->id_order = (int) $order->id;
            $thread->id_lang = (int) $order->id_lang;
            $thread->email = $customer->email;
            $thread->status = 'open';
            $thread->token = Tools::passwdGen(12);
            $thread->add();
            $threadId = (int) $thread->id;
        }
        $message = new CustomerMessage();
        $message->id_customer_thread = $threadId;
        $message->id_employee = self::shopEmployeeId();
        $message->message = $text;
        $message->private = 1;

        return $message->add();
    }

    /** The id of the first active SuperAdmin employee (0 when the shop has none). */
    public static function shopEmployeeId()
    {
        $employees = Employee::getEmployeesByProfile((int) _PS_ADMIN_PROFILE_, true);
        $ids = array();
        foreach (is_array($employees) ? $employees : array() as $employee) {
            $ids[] = (int) $employee['id_employee'];
        }
        sort($ids);

        return $ids ? $ids[0] : 0;
    }

    // ---- admin files panel ---------------------------------------------------------------------

    /** @return array<int,array{row:array,job:array|null,live:bool}> */
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

    /** Stream a file of the order through this server; false when it is not the order's. */
    public function proxy($orderId, $jobId, $runId, $proofIndex = null)
    {
        foreach ($this->orderFiles($orderId) as $line) {
            if ($line['row']['job_id'] === (string) $jobId && $line['job'] !== null) {
                $run = PrintgateFilesView::run($line['job'], $runId);

                return $run !== null && PrintgateFilesView::stream($this->client(), $line['job'], $run, $proofIndex);
            }
        }

        return false;
    }
}
