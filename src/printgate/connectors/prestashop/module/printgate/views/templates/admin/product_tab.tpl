{**
 * printgate: per-product workflow (product page, Modules tab). Saved by its own AJAX call so it
 * works with the legacy and the Symfony product pages alike.
 *}
<div class="printgate-product-setting" id="printgate-product-setting">
  <h3>{l s='printgate print file' d='Modules.Printgate.Admin'}</h3>
  <div class="form-group">
    <label for="printgate-workflow">{l s='Workflow' d='Modules.Printgate.Admin'}</label>
    <select id="printgate-workflow" class="form-control custom-select">
      <option value="">{l s='Store default' d='Modules.Printgate.Admin'}</option>
      <option value="none"{if $printgate_workflow_id == 'none'} selected{/if}>{l s='Off for this product' d='Modules.Printgate.Admin'}</option>
      {foreach from=$printgate_workflows item=workflow}
        <option value="{$workflow.id|escape:'html':'UTF-8'}"{if $printgate_workflow_id == $workflow.id} selected{/if}>{$workflow.name|escape:'html':'UTF-8'}</option>
      {/foreach}
    </select>
  </div>
  <div class="form-check">
    <input type="checkbox" id="printgate-required" class="form-check-input"{if $printgate_required} checked{/if}>
    <label for="printgate-required" class="form-check-label">{l s='Require a checked file before add to cart' d='Modules.Printgate.Admin'}</label>
  </div>
  <button type="button" class="btn btn-primary mt-2" id="printgate-save"
          data-url="{$printgate_save_url|escape:'html':'UTF-8'}">{l s='Save' d='Admin.Actions'}</button>
  <span id="printgate-save-result" class="ml-2"></span>
</div>
<script>
  (function () {
    var button = document.getElementById('printgate-save');
    if (!button) { return; }
    button.addEventListener('click', function () {
      var body = new URLSearchParams();
      body.append('printgate_workflow_id', document.getElementById('printgate-workflow').value);
      body.append('printgate_required', document.getElementById('printgate-required').checked ? '1' : '0');
      var result = document.getElementById('printgate-save-result');
      fetch(button.getAttribute('data-url'), { method: 'POST', credentials: 'same-origin', body: body })
        .then(function (r) { return r.json(); })
        .then(function (json) { result.textContent = json.message || ''; })
        .catch(function () { result.textContent = '!'; });
    });
  })();
</script>
