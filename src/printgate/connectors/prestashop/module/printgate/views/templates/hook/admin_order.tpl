{**
 * printgate: print files of the order's lines (admin order page, displayAdminOrderMain).
 * Proof and download links go to the shop's own admin controller, never to printgate directly.
 *}
<div class="card mt-2" id="printgate-order-files">
  <div class="card-header">
    <h3 class="card-header-title">{l s='printgate print files' d='Modules.Printgate.Admin'}</h3>
  </div>
  <div class="card-body">
    <table class="table">
      <thead>
        <tr>
          <th>{l s='Product' d='Admin.Global'}</th>
          <th>{l s='Job' d='Modules.Printgate.Admin'}</th>
          <th>{l s='Status' d='Admin.Global'}</th>
          <th>{l s='Files' d='Modules.Printgate.Admin'}</th>
        </tr>
      </thead>
      <tbody>
        {foreach from=$printgate_lines item=line}
          <tr>
            <td>{$line.product|escape:'html':'UTF-8'}</td>
            <td><code>{$line.job_id|escape:'html':'UTF-8'}</code></td>
            <td>{$line.status|escape:'html':'UTF-8'}</td>
            <td>
              {if $line.known}
                {foreach from=$line.runs item=run}
                  <div class="printgate-run mb-2">
                    {if $run.thumbnail}
                      <img class="printgate-thumbnail" src="{$run.thumbnail|escape:'html':'UTF-8'}" alt="{l s='Thumbnail' d='Modules.Printgate.Admin'}" loading="lazy" style="max-width:120px;max-height:120px;border:1px solid #ddd;margin-right:8px;background:#fff">
                    {/if}
                    {foreach from=$run.proofs item=proof}
                      <img class="printgate-proof" src="{$proof|escape:'html':'UTF-8'}" alt="{l s='Proof' d='Modules.Printgate.Admin'}" loading="lazy" style="max-width:80px;max-height:80px;border:1px solid #ddd;margin-right:4px">
                    {/foreach}
                    <span>{$run.name|escape:'html':'UTF-8'}</span>
                    <small>{$run.outcome|escape:'html':'UTF-8'}</small>
                    {if $run.download}
                      <a class="btn btn-primary btn-sm" href="{$run.download|escape:'html':'UTF-8'}">{l s='Download' d='Admin.Actions'}</a>
                    {/if}
                  </div>
                {/foreach}
                {if !$line.live}
                  <small class="text-muted">{l s='printgate is not reachable: showing the files as last reported.' d='Modules.Printgate.Admin'}</small>
                {/if}
              {else}
                <small class="text-muted">{l s='Files are not ready yet.' d='Modules.Printgate.Admin'}</small>
              {/if}
            </td>
          </tr>
        {/foreach}
      </tbody>
    </table>
  </div>
</div>
