<?php

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
