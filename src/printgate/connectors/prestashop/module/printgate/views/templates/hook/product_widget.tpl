{**
 * printgate: mount point and hidden jobId field, rendered inside the add-to-cart form.
 *}
<div class="printgate-product" data-product-id="{$printgate_product_id|intval}">
  <div id="printgate-widget" class="printgate-widget"></div>
  <input type="hidden" name="printgate_job_id" id="printgate-job-id" value="">
  <div id="printgate-error" class="printgate-error alert alert-danger" role="alert" style="display:none"></div>
</div>
