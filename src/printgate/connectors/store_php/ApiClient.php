<?php

/**
 * printgate's REST API as the store modules use it: workflows, jobs, run outputs and the signed
 * order capture. Only the secret key (sk_...) and the whsec secret are used here; neither ever
 * reaches a browser.
 */

class PrintgateApiClient
{
    public const DEFAULT_BASE_URL = 'http://127.0.0.1:8000';
    public const USER_AGENT = 'printgate-store-module/1.0';

    /** @var string */
    private $baseUrl;
    /** @var string */
    private $secretKey;
    /** @var string */
    private $webhookSecret;
    /** @var PrintgateTransport */
    private $transport;
    /** @var callable */
    private $clock;

    public function __construct($baseUrl, $secretKey, $webhookSecret, PrintgateTransport $transport, $clock = null)
    {
        $baseUrl = trim((string) $baseUrl);
        $this->baseUrl = rtrim($baseUrl !== '' ? $baseUrl : self::DEFAULT_BASE_URL, '/');
        $this->secretKey = trim((string) $secretKey);
        $this->webhookSecret = trim((string) $webhookSecret);
        $this->transport = $transport;
        $this->clock = $clock !== null ? $clock : 'time';
    }

    public function baseUrl()
    {
        return $this->baseUrl;
    }

    public function now()
    {
        return (int) call_user_func($this->clock);
    }

    /** @return array<int,array<string,mixed>> the workflows ({workflows} or the legacy {rules} envelope) */
    public function listWorkflows()
    {
        $data = $this->getJson('/workflows');
        if (isset($data['workflows']) && is_array($data['workflows'])) {
            return array_values($data['workflows']);
        }
        if (isset($data['rules']) && is_array($data['rules'])) {
            return array_values($data['rules']);
        }
        throw new PrintgateApiException('unexpected /workflows response', 200);
    }

    /** @return array{ok:bool,message:string,workflows:array} */
    public function testConnection()
    {
        try {
            $workflows = $this->listWorkflows();
        } catch (PrintgateApiException $e) {
            if ($e->status === 401 || $e->status === 403) {
                return array('ok' => false, 'message' => 'The secret key was refused (HTTP ' . $e->status . ').', 'workflows' => array());
            }

            return array('ok' => false, 'message' => $e->getMessage(), 'workflows' => array());
        }

        return array('ok' => true, 'message' => count($workflows) . ' workflow(s) available.', 'workflows' => $workflows);
    }

    /** @return array<string,mixed> {id, status, outcome, canProceed, runs:[...]} */
    public function getJob($jobId)
    {
        return $this->getJson('/jobs/' . rawurlencode((string) $jobId) . '?expand=runs');
    }

    /**
     * Stream a run's output file into $sink.
     *
     * @return PrintgateResponse carrying the response headers (content-type, content-disposition)
     */
    public function streamRunOutput($jobId, $runId, $sink)
    {
        $path = '/jobs/' . rawurlencode((string) $jobId) . '/runs/' . rawurlencode((string) $runId) . '/output';

        return $this->stream($this->baseUrl . $path, true, $sink);
    }

    /**
     * Stream a proof image. Proof URLs are signed by printgate; the key is only added when the URL
     * points at printgate itself.
     */
    public function streamUrl($url, $sink)
    {
        $url = (string) $url;
        if (strpos($url, '/') === 0) {
            $url = $this->baseUrl . $url;
        }
        if (!preg_match('#^https?://#i', $url)) {
            throw new PrintgateApiException('not an http(s) URL');
        }

        return $this->stream($url, strpos($url, $this->baseUrl . '/') === 0, $sink);
    }

    /** JSON text of an order body, the exact bytes that get signed and queued. */
    public static function encodeBody(array $body)
    {
        return json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);
    }

    /**
     * POST /orders/{orderId} with Bearer sk and Standard Webhooks headers over the exact body.
     * The timestamp is taken now, so a retried message keeps its webhook-id and gets a fresh stamp.
     *
     * @throws PrintgateTransportException when printgate could not be reached
     */
    public function postOrder($orderId, $jsonBody, $messageId)
    {
        $signer = new PrintgateSigner($this->webhookSecret);
        $headers = $this->authHeaders() + array('Content-Type' => 'application/json')
            + $signer->headers($jsonBody, $messageId, $this->now());

        return $this->transport->request('POST', $this->baseUrl . '/orders/' . rawurlencode((string) $orderId), $headers, $jsonBody);
    }

    private function authHeaders()
    {
        return array(
            'Authorization' => 'Bearer ' . $this->secretKey,
            'Accept' => 'application/json',
            'User-Agent' => self::USER_AGENT,
        );
    }

    private function getJson($path)
    {
        try {
            $response = $this->transport->request('GET', $this->baseUrl . $path, $this->authHeaders());
        } catch (PrintgateTransportException $e) {
            throw new PrintgateApiException('printgate is not reachable at ' . $this->baseUrl . ': ' . $e->getMessage());
        }
        $data = $response->json();
        if (!$response->ok()) {
            $message = is_array($data) && isset($data['message']) ? (string) $data['message'] : 'HTTP ' . $response->status;
            throw new PrintgateApiException($message, $response->status);
        }
        if ($data === null) {
            throw new PrintgateApiException('printgate answered with a body that is not JSON', $response->status);
        }

        return $data;
    }

    private function stream($url, $withKey, $sink)
    {
        $headers = $withKey ? $this->authHeaders() : array('User-Agent' => self::USER_AGENT);
        unset($headers['Accept']);
        try {
            $response = $this->transport->request('GET', $url, $headers, null, $sink, 300);
        } catch (PrintgateTransportException $e) {
            throw new PrintgateApiException('printgate is not reachable: ' . $e->getMessage());
        }
        if (!$response->ok()) {
            throw new PrintgateApiException('download failed: HTTP ' . $response->status, $response->status);
        }

        return $response;
    }
}
