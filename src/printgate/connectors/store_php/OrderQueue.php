<?php

/**
 * Nothing lost when printgate is down: every order call is written to the module's own queue
 * table first, then sent. A failed send stays queued and is retried with backoff on the next
 * hook or cron call, with the same webhook-id and the same body bytes (only the timestamp and
 * signature are fresh). A newer status of the same order supersedes a still-queued older one.
 */

class PrintgateOrderSender
{
    public const MAX_ATTEMPTS = 16;
    public const MAX_BACKOFF_S = 21600;

    /** @var PrintgateApiClient */
    private $client;
    /** @var PrintgateQueueStore */
    private $store;

    public function __construct(PrintgateApiClient $client, PrintgateQueueStore $store)
    {
        $this->client = $client;
        $this->store = $store;
    }

    /** Seconds to wait after the given number of failed attempts: 1, 2, 4 ... minutes, at most 6 hours. */
    public static function backoff($attempts)
    {
        return (int) min(self::MAX_BACKOFF_S, 60 * pow(2, max(0, (int) $attempts - 1)));
    }

    /**
     * Queue the order's current state, then try to deliver it (and anything else due).
     *
     * @return string 'delivered', 'queued' (will be retried) or 'failed' (printgate refused it for good)
     */
    public function send($orderId, array $body)
    {
        $now = $this->client->now();
        $id = $this->store->add(array(
            'order_id' => (string) $orderId,
            'message_id' => PrintgateSigner::newMessageId(),
            'body' => PrintgateApiClient::encodeBody($body),
            'next_attempt_at' => $now,
            'created_at' => $now,
        ));
        $this->store->supersede((string) $orderId, $id);
        $this->flush();
        $row = $this->store->find($id);

        return $row['status'] === 'pending' ? 'queued' : $row['status'];
    }

    /** Deliver what is due. @return array{delivered:int,retrying:int,failed:int} */
    public function flush($limit = 20)
    {
        $counts = array('delivered' => 0, 'retrying' => 0, 'failed' => 0);
        $now = $this->client->now();
        foreach ($this->store->due($now, $limit) as $row) {
            if (!$this->store->claim($row['id'], $now)) {
                continue;
            }
            $counts[$this->deliver($row)]++;
        }

        return $counts;
    }

    private function deliver(array $row)
    {
        $attempts = (int) $row['attempts'] + 1;
        $error = '';
        $permanent = false;
        try {
            $response = $this->client->postOrder($row['order_id'], $row['body'], $row['message_id']);
            if ($response->ok()) {
                $this->store->update($row['id'], array(
                    'status' => 'delivered', 'attempts' => $attempts, 'delivered_at' => $this->client->now(),
                    'locked_until' => 0, 'last_error' => '',
                ));

                return 'delivered';
            }
            $error = 'HTTP ' . $response->status . ' ' . substr($response->body, 0, 200);
            // A body printgate rejects will be rejected again; auth, rate limits and 5xx may heal.
            $permanent = in_array($response->status, array(400, 404, 405, 409, 413, 422), true);
        } catch (PrintgateTransportException $e) {
            $error = 'unreachable: ' . $e->getMessage();
        }
        $failed = $permanent || $attempts >= self::MAX_ATTEMPTS;
        $this->store->update($row['id'], array(
            'status' => $failed ? 'failed' : 'pending',
            'attempts' => $attempts,
            'next_attempt_at' => $this->client->now() + self::backoff($attempts),
            'locked_until' => 0,
            'last_error' => $error,
        ));

        return $failed ? 'failed' : 'retrying';
    }
}
