<?php
/**
 * Just enough of PrestaShop (Db, Configuration, Context, Tools, Validate, Order, Customer,
 * Currency, CustomerThread, CustomerMessage) to run the printgate module's PrintgatePrestashop
 * class on FakeMysql.
 */

require_once __DIR__ . '/FakeMysql.php';
require_once __DIR__ . '/FakeOpencart.php';

define('_PS_VERSION_', '8.1.7');
define('_DB_PREFIX_', 'ps_');
define('_MYSQL_ENGINE_', 'InnoDB');
define('_PS_ADMIN_PROFILE_', 1);

class FakePs
{
    /** @var FakeMysql */
    public static $db;
    public static $config = array();
    public static $orders = array();
    public static $customers = array();
    public static $threads = array();
    public static $messages = array();
    public static $module;
    public static $access = array();
}

function pSQL($string, $htmlOK = false)
{
    return FakePs::$db->escape($htmlOK ? (string) $string : strip_tags((string) $string));
}

class Db
{
    private static $instance;

    public static function getInstance()
    {
        if (self::$instance === null) {
            self::$instance = new Db();
        }

        return self::$instance;
    }

    public function executeS($sql, $array = true, $useCache = true)
    {
        return FakePs::$db->query($sql)->rows;
    }

    public function execute($sql, $useCache = true)
    {
        return (bool) FakePs::$db->query($sql);
    }

    public function Affected_Rows()
    {
        return FakePs::$db->countAffected();
    }

    public function Insert_ID()
    {
        return FakePs::$db->getLastId();
    }

    public function escape($string, $htmlOK = false)
    {
        return pSQL($string, $htmlOK);
    }

    public function update($table, array $data, $where = '')
    {
        $sets = array();
        foreach ($data as $key => $value) {
            $sets[] = '`' . $key . "` = '" . $value . "'";
        }

        return $this->execute('UPDATE `' . _DB_PREFIX_ . $table . '` SET ' . implode(', ', $sets) . ($where ? ' WHERE ' . $where : ''));
    }

    public function delete($table, $where = '')
    {
        return $this->execute('DELETE FROM `' . _DB_PREFIX_ . $table . '`' . ($where ? ' WHERE ' . $where : ''));
    }
}

class Configuration
{
    public static function get($key)
    {
        return isset(FakePs::$config[$key]) ? FakePs::$config[$key] : false;
    }

    public static function updateValue($key, $value)
    {
        FakePs::$config[$key] = (string) $value;

        return true;
    }

    public static function deleteByName($key)
    {
        unset(FakePs::$config[$key]);

        return true;
    }
}

class FakeCookie
{
    public $printgate_jobs;
    public $writes = 0;

    public function write()
    {
        $this->writes++;
    }
}

class FakeShop
{
    public function getBaseURL($ssl = false)
    {
        return 'https://boutique.test/';
    }
}

class FakeTranslator
{
    public function trans($id, array $parameters = array(), $domain = null, $locale = null)
    {
        return strtr($id, $parameters);
    }
}

class Context
{
    private static $context;

    public function getTranslator()
    {
        return new FakeTranslator();
    }

    public $cookie;
    public $shop;
    public $language;
    public $controller;
    public $link;
    public $smarty;

    public static function getContext()
    {
        if (self::$context === null) {
            self::$context = new Context();
            self::$context->cookie = new FakeCookie();
            self::$context->shop = new FakeShop();
            self::$context->language = (object) array('id' => 1);
            self::$context->controller = new FakeFrontController();
            self::$context->link = new FakeLink();
            self::$context->smarty = new FakeSmarty();
        }

        return self::$context;
    }
}

class FakeFrontController
{
    public $php_self = 'product';
    public $assets = array();

    public function registerStylesheet($id, $path, array $params = array())
    {
        $this->assets[] = array('css', $id, $path, $params);
    }

    public function registerJavascript($id, $path, array $params = array())
    {
        $this->assets[] = array('js', $id, $path, $params);
    }
}

class FakeLink
{
    public function getModuleLink($module, $controller, array $params = array(), $ssl = null)
    {
        return 'https://boutique.test/module/' . $module . '/' . $controller . ($params ? '?' . http_build_query($params) : '');
    }

    public function getAdminLink($controller, $withToken = true, array $sfRouteParams = array(), array $params = array())
    {
        return 'https://boutique.test/admin-dev/index.php?controller=' . $controller . ($withToken ? '&token=admintok' : '')
            . ($params ? '&' . http_build_query($params) : '');
    }

    public function getProductLink($product)
    {
        return 'https://boutique.test/p/' . (int) $product;
    }
}

class FakeSmarty
{
    public $vars = array();

    public function assign($vars)
    {
        $this->vars = array_merge($this->vars, $vars);
    }
}

class Media
{
    public static $jsDef = array();

    public static function addJsDef($values)
    {
        self::$jsDef = array_merge(self::$jsDef, $values);
    }
}

class Dispatcher
{
    const FC_FRONT = 1;
    const FC_ADMIN = 2;
    public static $controller = 'cart';

    public static function getInstance()
    {
        return new Dispatcher();
    }

    public function getController()
    {
        return self::$controller;
    }
}

/** PrestaShop's Module base, reduced to what the printgate module uses. */
class Module
{
    public $name;
    public $tab;
    public $version;
    public $author;
    public $need_instance;
    public $bootstrap;
    public $ps_versions_compliancy;
    public $tabs = array();
    public $displayName;
    public $description;
    public $confirmUninstall;
    public $context;
    public $table = 'module';
    public $identifier = 'id_module';
    public $hooks = array();
    public $installed = false;

    public function __construct()
    {
        $this->context = Context::getContext();
    }

    public function trans($id, array $parameters = array(), $domain = null, $locale = null)
    {
        return strtr($id, $parameters);
    }

    public function install()
    {
        $this->installed = true;

        return true;
    }

    public function uninstall()
    {
        $this->installed = false;

        return true;
    }

    public function registerHook($hooks)
    {
        $this->hooks = array_merge($this->hooks, (array) $hooks);

        return true;
    }

    public function display($file, $template)
    {
        return json_encode(array('template' => $template, 'vars' => $this->context->smarty->vars));
    }
}

class Tools
{
    public static function getValue($key, $default = false)
    {
        return isset($_POST[$key]) ? $_POST[$key] : (isset($_GET[$key]) ? $_GET[$key] : $default);
    }

    public static function getToken($page = true)
    {
        return 'statictok';
    }

    public static function redirect($url)
    {
        throw new RuntimeException('redirect to ' . $url);
    }

    public static function passwdGen($length = 8)
    {
        return substr(bin2hex(random_bytes($length)), 0, $length);
    }
}

class Validate
{
    public static function isLoadedObject($object)
    {
        return is_object($object) && !empty($object->id);
    }
}

class FakeEntity
{
    public $id;

    public function __construct($id = null, array $store = array())
    {
        if ($id !== null && isset($store[(int) $id])) {
            foreach ($store[(int) $id] as $key => $value) {
                $this->$key = $value;
            }
            $this->id = (int) $id;
        }
    }
}

class Order extends FakeEntity
{
    public $id_cart;
    public $id_customer;
    public $id_currency;
    public $id_shop;
    public $id_lang;
    public $total_paid_tax_incl;
    public $details = array();

    public function __construct($id = null)
    {
        parent::__construct($id, FakePs::$orders);
    }

    public function getFields()
    {
        $fields = get_object_vars($this);
        unset($fields['details'], $fields['id']);

        return $fields;
    }

    public function getOrderDetailList()
    {
        return $this->details;
    }
}

class Customer extends FakeEntity
{
    public $firstname;
    public $lastname;
    public $email;

    public function __construct($id = null)
    {
        parent::__construct($id, FakePs::$customers);
    }
}

class Currency extends FakeEntity
{
    public $iso_code;

    public function __construct($id = null)
    {
        parent::__construct($id, array(1 => array('iso_code' => 'EUR')));
    }
}

class CustomerThread extends FakeEntity
{
    public $id_contact;
    public $id_customer;
    public $id_shop;
    public $id_order;
    public $id_lang;
    public $email;
    public $status;
    public $token;

    public static function getIdCustomerThreadByEmailAndIdOrder($email, $orderId)
    {
        foreach (FakePs::$threads as $id => $thread) {
            if ($thread->email === $email && (int) $thread->id_order === (int) $orderId) {
                return $id;
            }
        }

        return false;
    }

    public function add()
    {
        $this->id = count(FakePs::$threads) + 1;
        FakePs::$threads[$this->id] = $this;

        return true;
    }
}

/** The shop's employees: a deactivated SuperAdmin (3), an active one (7), a salesman (2). */
class Employee
{
    public static $rows = array(
        array('id_employee' => 3, 'id_profile' => 1, 'active' => 0),
        array('id_employee' => 7, 'id_profile' => 1, 'active' => 1),
        array('id_employee' => 2, 'id_profile' => 4, 'active' => 1),
    );

    public static function getEmployeesByProfile($idProfile, $activeOnly = false)
    {
        $out = array();
        foreach (self::$rows as $row) {
            if ($row['id_profile'] === (int) $idProfile && (!$activeOnly || $row['active'])) {
                $out[] = $row;
            }
        }

        return $out;
    }
}

class CustomerMessage extends FakeEntity
{
    public $id_customer_thread;
    public $id_employee;
    public $message;
    public $private;

    public function add()
    {
        $this->id = count(FakePs::$messages) + 1;
        FakePs::$messages[] = get_object_vars($this);

        return true;
    }
}

/** PrestaShop's front controller for modules: the module instance comes from FakePs::$module. */
class ModuleFrontController
{
    public $module;
    public $context;

    public function __construct()
    {
        $this->module = FakePs::$module;
        $this->context = Context::getContext();
    }
}

/** PrestaShop's admin controller for modules; access rights come from FakePs::$access. */
class ModuleAdminController
{
    public $module;
    public $context;
    public $bootstrap;

    public function __construct()
    {
        $this->module = FakePs::$module;
        $this->context = Context::getContext();
    }

    public function access($action)
    {
        return in_array($action, FakePs::$access, true);
    }

    public function trans($id, array $parameters = array(), $domain = null)
    {
        return strtr($id, $parameters);
    }

    public function postProcess()
    {
        return true;
    }
}
