<?php

/**
 * printgate's callback to the module: verify the Standard Webhooks signature (5-minute tolerance),
 * reject a replayed webhook-id, and normalize the event:
 *
 *   {type: "order.files_ready" | "job.completed",
 *    data: {orderId, jobs:[{jobId, status, runs:[{id?, name, outcome?, downloadUrl, proofs:[{url}]}]}]}}
 */

class PrintgateCallback
{
    public const TYPES = array('order.files_ready', 'job.completed');

    /** @var PrintgateSigner */
    private $signer;
    /** @var PrintgateReplayStore */
    private $replay;
    /** @var callable */
    private $clock;

    public function __construct(PrintgateSigner $signer, PrintgateReplayStore $replay, $clock = null)
    {
        $this->signer = $signer;
        $this->replay = $replay;
        $this->clock = $clock !== null ? $clock : 'time';
    }

    /**
     * @param array<string,string> $headers request headers (or $_SERVER)
     * @return array{type:string,messageId:string,orderId:string,jobs:array}
     * @throws PrintgateCallbackException
     */
    public function handle(array $headers, $rawBody)
    {
        $now = (int) call_user_func($this->clock);
        try {
            $messageId = $this->signer->verify($headers, (string) $rawBody, $now);
        } catch (PrintgateSignatureException $e) {
            throw new PrintgateCallbackException($e->getMessage(), 401);
        }
        $event = json_decode((string) $rawBody, true);
        if (!is_array($event) || !isset($event['type']) || !isset($event['data']) || !is_array($event['data'])) {
            throw new PrintgateCallbackException('body is not a printgate event', 400);
        }
        if (!$this->replay->remember($messageId, $now)) {
            throw new PrintgateCallbackException('webhook-id already processed', 409);
        }
        $data = $event['data'];
        $jobs = isset($data['jobs']) && is_array($data['jobs']) ? $data['jobs'] : array();
        if (!$jobs && isset($data['jobId'])) {
            $jobs = array($data);
        }

        return array(
            'type' => (string) $event['type'],
            'messageId' => $messageId,
            'orderId' => isset($data['orderId']) ? (string) $data['orderId'] : '',
            'jobs' => array_values(array_filter(array_map(array('PrintgateFilesView', 'job'), $jobs))),
        );
    }
}
