<?php

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
