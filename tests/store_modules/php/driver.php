<?php
/**
 * Test driver: runs one scenario against the platform-free store classes and prints JSON.
 * Input (stdin): {"lib": "<dir with autoload.php>", "action": "...", ...}.
 */

$input = json_decode(stream_get_contents(STDIN), true);
require $input['lib'] . '/autoload.php';

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

    default:
        fwrite(STDERR, 'unknown action');
        exit(2);
}

echo json_encode($out, JSON_UNESCAPED_SLASHES);
