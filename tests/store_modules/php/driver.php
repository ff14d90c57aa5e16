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
            'order' => PrintgateOpencart::injectBeforeFooter($page, '<p id="panel"></p>'),
            'form' => PrintgateOpencart::injectIntoForm($page, 'form-product', '<p id="fields"></p>'),
            'snippet' => $snippet,
            'panel' => PrintgateOpencart::panelHtml($lines, $input['names'], $link, $input['labels'], 1042),
            'events3' => PrintgateOpencartAdmin::events('addOrderHistory', 'checkout/cart/add'),
            'events4' => PrintgateOpencartAdmin::events('addHistory', 'checkout/cart.add'),
        );
        break;

    case 'oc_settings':
        $saved = $input['saved'];
        list($settings, $errors) = PrintgateOpencartAdmin::settingsFromPost($input['post'], function ($key) use ($saved) {
            return isset($saved[$key]) ? $saved[$key] : '';
        });
        $out = array('settings' => $settings, 'errors' => $errors);
        break;

    default:
        fwrite(STDERR, 'unknown action');
        exit(2);
}

echo json_encode($out, JSON_UNESCAPED_SLASHES);
