<?php
/**
 * OpenCart's controller plumbing for the printgate controllers: the Controller base class (OC 3
 * global, OC 4 namespaced), loader, language, request, response, url, user, document and the
 * setting/event models, all recording what the controllers do.
 */

require_once __DIR__ . '/FakeOpencart.php';

class FakeLanguage
{
    public $data = array();

    public function get($key)
    {
        return isset($this->data[$key]) ? $this->data[$key] : $key;
    }
}

class FakeLoader
{
    private $registry;
    /** @var string language file every language() call loads */
    public $languageFile;
    public $views = array();

    public function __construct($registry, $languageFile)
    {
        $this->registry = $registry;
        $this->languageFile = $languageFile;
    }

    public function language($route)
    {
        $_ = array();
        require $this->languageFile;
        $this->registry->get('language')->data = $_ + array('text_home' => 'Home', 'text_extension' => 'Extensions');
    }

    public function model($route)
    {
        $this->registry->set('model_' . str_replace('/', '_', $route), $this->registry->get('fake_model_' . str_replace('/', '_', $route)));
    }

    public function view($route, array $data = array())
    {
        $this->views[] = array('route' => $route, 'data' => $data);

        return '<view ' . $route . '>';
    }

    public function controller($route)
    {
        return '';
    }
}

class FakeRequest
{
    public $get = array();
    public $post = array();
    public $server = array('REQUEST_METHOD' => 'GET');
}

class FakeResponse
{
    public $headers = array();
    public $output = '';
    public $redirects = array();

    public function addHeader($header)
    {
        $this->headers[] = $header;
    }

    public function setOutput($output)
    {
        $this->output = $output;
    }

    public function getOutput()
    {
        return $this->output;
    }

    public function redirect($url)
    {
        $this->redirects[] = $url;
    }
}

class FakeUrl
{
    public function link($route, $args = '', $secure = false)
    {
        return 'https://shop.test/index.php?route=' . $route . ($args !== '' ? str_replace('&', '&amp;', '&' . ltrim($args, '&')) : '');
    }
}

class FakeUser
{
    public $allowed;

    public function __construct(array $allowed)
    {
        $this->allowed = $allowed;
    }

    public function hasPermission($key, $route)
    {
        return in_array($key . ':' . $route, $this->allowed, true);
    }
}

class FakeDocument
{
    public $title;

    public function setTitle($title)
    {
        $this->title = $title;
    }
}

class FakeEventModel
{
    public $events = array();

    public function addEvent($code, $description = null, $trigger = null, $action = null, $status = 1, $sort = 0)
    {
        if (is_array($code)) {
            $this->events[$code['code']] = array($code['trigger'], $code['action']);
        } elseif ($action === null) {
            // OpenCart 3: addEvent($code, $trigger, $action, $status, $sort_order)
            $this->events[$code] = array($description, $trigger);
        } else {
            $this->events[$code] = array($trigger, $action);
        }
    }

    public function deleteEventByCode($code)
    {
        unset($this->events[$code]);
    }
}

class FakeSettingModel
{
    public $settings = array();
    private $config;

    public function __construct(FakeConfig $config)
    {
        $this->config = $config;
    }

    public function editSetting($code, array $data)
    {
        $this->settings[$code] = $data;
        foreach ($data as $key => $value) {
            $this->config->values[$key] = $value;
        }
    }

    public function deleteSetting($code)
    {
        unset($this->settings[$code]);
        foreach (array_keys($this->config->values) as $key) {
            if (strpos($key, $code . '_') === 0) {
                unset($this->config->values[$key]);
            }
        }
    }
}

/** OpenCart 3's Controller. */
abstract class Controller
{
    protected $registry;

    public function __construct($registry)
    {
        $this->registry = $registry;
    }

    public function __get($key)
    {
        return $this->registry->get($key);
    }

    public function __set($key, $value)
    {
        $this->registry->set($key, $value);
    }
}

/** A registry with the fakes a controller uses, on the given database. */
function fake_opencart_app(FakeMysql $db, array $settings, $languageFile, array $permissions)
{
    $registry = new FakeRegistry();
    $config = array();
    foreach ($settings as $key => $value) {
        $config['module_printgate_' . $key] = $value;
    }
    $config['config_language'] = 'en-gb';
    $configObject = new FakeConfig($config);
    $registry->set('db', $db);
    $registry->set('config', $configObject);
    $registry->set('session', new FakeSession());
    $registry->set('customer', new FakeCustomer());
    $registry->set('cart', new FakeCart($db));
    $registry->set('language', new FakeLanguage());
    $registry->set('load', new FakeLoader($registry, $languageFile));
    $registry->set('request', new FakeRequest());
    $registry->set('response', new FakeResponse());
    $registry->set('url', new FakeUrl());
    $registry->set('user', new FakeUser($permissions));
    $registry->set('document', new FakeDocument());
    $registry->set('fake_model_setting_event', new FakeEventModel());
    $registry->set('fake_model_setting_setting', new FakeSettingModel($configObject));

    return $registry;
}
