<?php

class PrintgateSqlReplayStore implements PrintgateReplayStore
{
    /** Ids older than this can no longer verify (timestamp tolerance), so they are pruned. */
    public const KEEP_S = 86400;

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
