<?php
/**
 * printgate's callback to the module: verify the Standard Webhooks signature (5-minute tolerance),
 * reject a replayed webhook-id, and normalize the event:
 *
 *   {type: "order.files_ready" | "job.completed",
 *    data: {orderId, jobs:[{jobId, status, runs:[{id?, name, outcome?, downloadUrl, proofs:[{url}]}]}]}}
 */

class PrintgateCallbackException extends Exception
{
    /** @var int the HTTP status to answer with */
    public $status;

    public function __construct($message, $status)
    {
        parent::__construct($message);
        $this->status = (int) $status;
    }
}

interface PrintgateReplayStore
{
    /** Record a webhook-id; false when it was already seen. */
    public function remember($messageId, $now);
}

class PrintgateMemoryReplayStore implements PrintgateReplayStore
{
    /** @var array<string,int> */
    public $seen = array();

    public function remember($messageId, $now)
    {
        if (isset($this->seen[$messageId])) {
            return false;
        }
        $this->seen[$messageId] = (int) $now;

        return true;
    }
}

class PrintgateSqlReplayStore implements PrintgateReplayStore
{
    /** Ids older than this can no longer verify (timestamp tolerance), so they are pruned. */
    const KEEP_S = 86400;

    /** @var PrintgateDb */
    private $db;
    /** @var string */
    private $table;

    public function __construct(PrintgateDb $db, $table)
    {
        $this->db = $db;
        $this->table = $table;
    }

    public static function createSql($table)
    {
        return 'CREATE TABLE IF NOT EXISTS `' . $table . '` ('
            . '`message_id` VARCHAR(128) NOT NULL,'
            . '`received_at` INT UNSIGNED NOT NULL,'
            . 'PRIMARY KEY (`message_id`), KEY `received_at` (`received_at`)'
            . ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4';
    }

    public function remember($messageId, $now)
    {
        $this->db->run('DELETE FROM `' . $this->table . '` WHERE `received_at` < ' . ((int) $now - self::KEEP_S));
        $this->db->run('INSERT IGNORE INTO `' . $this->table . "` SET `message_id` = '" . $this->db->esc($messageId)
            . "', `received_at` = " . (int) $now);

        return $this->db->affected() > 0;
    }
}

class PrintgateCallback
{
    const TYPES = array('order.files_ready', 'job.completed');

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
