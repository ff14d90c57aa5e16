<?php
/**
 * Nothing lost when printgate is down: every order call is written to the module's own queue
 * table first, then sent. A failed send stays queued and is retried with backoff on the next
 * hook or cron call, with the same webhook-id and the same body bytes (only the timestamp and
 * signature are fresh). A newer status of the same order supersedes a still-queued older one.
 */

interface PrintgateQueueStore
{
    /** @param array{order_id:string,message_id:string,body:string,next_attempt_at:int,created_at:int} $row @return int id */
    public function add(array $row);

    /** Mark the order's still-pending messages other than $keepId superseded. */
    public function supersede($orderId, $keepId);

    /** @return array<int,array<string,mixed>> pending rows with next_attempt_at <= $now, oldest first */
    public function due($now, $limit);

    /** Take a row for sending; false when another request holds it. */
    public function claim($id, $now);

    /** @param array<string,mixed> $fields status, attempts, next_attempt_at, last_error, delivered_at */
    public function update($id, array $fields);

    /** @return array<string,mixed>|null */
    public function find($id);
}

class PrintgateMemoryQueueStore implements PrintgateQueueStore
{
    /** @var array<int,array<string,mixed>> */
    public $rows = array();
    private $nextId = 1;

    public function add(array $row)
    {
        $id = $this->nextId++;
        $this->rows[$id] = $row + array('id' => $id, 'status' => 'pending', 'attempts' => 0, 'last_error' => '', 'locked_until' => 0);

        return $id;
    }

    public function supersede($orderId, $keepId)
    {
        foreach ($this->rows as $id => $row) {
            if ($id !== $keepId && $row['order_id'] === (string) $orderId && $row['status'] === 'pending') {
                $this->rows[$id]['status'] = 'superseded';
            }
        }
    }

    public function due($now, $limit)
    {
        $out = array();
        foreach ($this->rows as $row) {
            if ($row['status'] === 'pending' && $row['next_attempt_at'] <= $now && count($out) < $limit) {
                $out[] = $row;
            }
        }

        return $out;
    }

    public function claim($id, $now)
    {
        if (!isset($this->rows[$id]) || $this->rows[$id]['locked_until'] > $now) {
            return false;
        }
        $this->rows[$id]['locked_until'] = $now + 60;

        return true;
    }

    public function update($id, array $fields)
    {
        $this->rows[$id] = array_merge($this->rows[$id], $fields);
    }

    public function find($id)
    {
        return isset($this->rows[$id]) ? $this->rows[$id] : null;
    }
}

/** The few database calls the SQL stores need, adapted by each platform (OpenCart $db, PrestaShop Db). */
interface PrintgateDb
{
    /** @return array<int,array<string,mixed>> */
    public function rows($sql);

    public function run($sql);

    public function affected();

    public function lastId();

    /** Escape for use inside single quotes. */
    public function esc($value);
}

class PrintgateSqlQueueStore implements PrintgateQueueStore
{
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
            . '`queue_id` INT UNSIGNED NOT NULL AUTO_INCREMENT,'
            . '`order_id` VARCHAR(64) NOT NULL,'
            . '`message_id` VARCHAR(64) NOT NULL,'
            . '`body` MEDIUMTEXT NOT NULL,'
            . "`status` VARCHAR(16) NOT NULL DEFAULT 'pending',"
            . '`attempts` INT UNSIGNED NOT NULL DEFAULT 0,'
            . '`next_attempt_at` INT UNSIGNED NOT NULL DEFAULT 0,'
            . '`locked_until` INT UNSIGNED NOT NULL DEFAULT 0,'
            . "`last_error` VARCHAR(255) NOT NULL DEFAULT '',"
            . '`created_at` INT UNSIGNED NOT NULL DEFAULT 0,'
            . '`delivered_at` INT UNSIGNED NOT NULL DEFAULT 0,'
            . 'PRIMARY KEY (`queue_id`), UNIQUE KEY `message_id` (`message_id`), KEY `due` (`status`, `next_attempt_at`)'
            . ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4';
    }

    public function add(array $row)
    {
        $this->db->run('INSERT INTO `' . $this->table . '` SET '
            . "`order_id` = '" . $this->db->esc($row['order_id']) . "', "
            . "`message_id` = '" . $this->db->esc($row['message_id']) . "', "
            . "`body` = '" . $this->db->esc($row['body']) . "', "
            . "`status` = 'pending', "
            . '`next_attempt_at` = ' . (int) $row['next_attempt_at'] . ', '
            . '`created_at` = ' . (int) $row['created_at']);

        return (int) $this->db->lastId();
    }

    public function supersede($orderId, $keepId)
    {
        $this->db->run('UPDATE `' . $this->table . "` SET `status` = 'superseded' WHERE `status` = 'pending'"
            . " AND `order_id` = '" . $this->db->esc($orderId) . "' AND `queue_id` <> " . (int) $keepId);
    }

    public function due($now, $limit)
    {
        return array_map(array($this, 'normalize'), $this->db->rows('SELECT * FROM `' . $this->table
            . "` WHERE `status` = 'pending' AND `next_attempt_at` <= " . (int) $now
            . ' ORDER BY `queue_id` LIMIT ' . (int) $limit));
    }

    public function claim($id, $now)
    {
        $this->db->run('UPDATE `' . $this->table . '` SET `locked_until` = ' . ((int) $now + 60)
            . ' WHERE `queue_id` = ' . (int) $id . ' AND `locked_until` <= ' . (int) $now);

        return $this->db->affected() > 0;
    }

    public function update($id, array $fields)
    {
        $sets = array();
        foreach ($fields as $name => $value) {
            if (!in_array($name, array('status', 'attempts', 'next_attempt_at', 'last_error', 'delivered_at', 'locked_until'), true)) {
                continue;
            }
            $sets[] = '`' . $name . "` = '" . $this->db->esc(substr((string) $value, 0, 255)) . "'";
        }
        if ($sets) {
            $this->db->run('UPDATE `' . $this->table . '` SET ' . implode(', ', $sets) . ' WHERE `queue_id` = ' . (int) $id);
        }
    }

    public function find($id)
    {
        $rows = $this->db->rows('SELECT * FROM `' . $this->table . '` WHERE `queue_id` = ' . (int) $id);

        return $rows ? $this->normalize($rows[0]) : null;
    }

    public function normalize(array $row)
    {
        $row['id'] = (int) $row['queue_id'];
        foreach (array('attempts', 'next_attempt_at', 'locked_until', 'created_at', 'delivered_at') as $key) {
            $row[$key] = (int) $row[$key];
        }

        return $row;
    }
}

class PrintgateOrderSender
{
    const MAX_ATTEMPTS = 16;
    const MAX_BACKOFF_S = 21600;

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
